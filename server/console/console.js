// tutti's operator console: rooms, participants, the load per media worker,
// live from the control API (ops/openapi.yaml) of the tuttid serving it.
//
// Rules this file keeps:
// - The token lives in sessionStorage (this tab only) and travels only in
//   the Authorization header, never in a URL.
// - Everything from the server (room and caller names, chat) reaches the
//   page as text (textContent, attributes set one by one): never as HTML.
//   The Content-Security-Policy runs no script but this file anyway.
// - Live: /v1/events is read with fetch() (EventSource cannot send the
//   header); the lists are read again every few seconds for what no event
//   carries (codec, loss, jitter come with the RTCP reports).
'use strict';

(() => {
  const TOKEN_KEY = 'tutti.token';
  const REFRESH_MS = 4000;      // rooms and participants, read again
  const WORKERS_MS = 2000;      // the load per worker
  const RETRY_MAX_MS = 15000;   // the event stream's longest wait to reconnect
  const MAX_EVENT_BYTES = 1 << 20;  // an unfinished event larger than this is dropped
  const MAX_MESSAGES = 200;     // chat lines kept per room
  const PARALLEL_READS = 4;     // rooms read at once (the API bounds connections per client)

  const $ = (id) => document.getElementById(id);
  const state = {
    token: null,
    rooms: new Map(),  // name -> Room
    prompts: [],
    trunks: false,     // dial-out shown when some trunk can place calls
    timers: [],
    stream: null,      // AbortController of the event stream
    generation: 0,     // bumped at sign-out: late answers are dropped
  };

  // ---- The API ----------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = {Authorization: `Bearer ${state.token}`};
    const init = {method, headers, cache: 'no-store', credentials: 'omit'};
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let data = null;
    if (text && (response.headers.get('Content-Type') || '').startsWith('application/json')) {
      try {
        data = JSON.parse(text);
      } catch (error) {
        data = null;
      }
    }
    if (!response.ok) {
      const message = data && data.error && typeof data.error.message === 'string'
        ? data.error.message : `${response.status} ${response.statusText}`;
      if (response.status === 401 && state.token !== null) signOut('The token was refused.');
      throw new ApiError(response.status, message);
    }
    return data;
  }

  const roomPath = (name) => `/v1/rooms/${encodeURIComponent(name)}`;
  const participantPath = (room, id) => `${roomPath(room)}/participants/${encodeURIComponent(id)}`;

  // Runs an operator's action; a refusal is shown with the server's reason.
  async function act(what, work) {
    try {
      await work();
    } catch (error) {
      notice(`${what}: ${error.message}`);
    }
  }

  function notice(text) {
    const line = $('notice');
    line.textContent = text;
    line.hidden = !text;
  }

  // ---- Small DOM helpers (text only) ------------------------------------

  function fromTemplate(id) {
    return $(id).content.firstElementChild.cloneNode(true);
  }

  function setText(element, text) {
    const value = text === undefined || text === null ? '' : String(text);
    if (element.textContent !== value) element.textContent = value;
  }

  function setFlag(element, flag) {
    element.hidden = !flag;
  }

  function option(value, label) {
    const item = document.createElement('option');
    item.value = value;
    item.textContent = label;
    return item;
  }

  // ---- Signing in and out -----------------------------------------------

  async function signIn(token) {
    state.token = token;
    const generation = ++state.generation;
    try {
      await api('GET', '/v1/rooms');
    } catch (error) {
      state.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      $('sign-in-error').textContent = error.status === 401
        ? 'That token was refused.' : `The server did not answer: ${error.message}`;
      return;
    }
    if (generation !== state.generation) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token').value = '';
    $('sign-in-error').textContent = '';
    $('sign-in').hidden = true;
    $('console').hidden = false;
    $('sign-out').hidden = false;
    await Promise.all([loadPrompts(), loadTrunks()]);
    openEvents(generation);
    state.timers.push(setInterval(() => refreshRooms().catch(() => {}), REFRESH_MS));
    state.timers.push(setInterval(() => refreshWorkers().catch(() => {}), WORKERS_MS));
    refreshWorkers().catch(() => {});
  }

  function signOut(why) {
    state.generation++;
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    for (const timer of state.timers) clearInterval(timer);
    state.timers = [];
    if (state.stream) state.stream.abort();
    state.stream = null;
    state.rooms.clear();
    $('rooms').replaceChildren();
    $('workers').replaceChildren();
    notice('');
    $('console').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    $('sign-in-error').textContent = why || '';
    setConnection('off', 'signed out');
    $('token').focus();
  }

  function setConnection(what, text) {
    const badge = $('connection');
    badge.dataset.state = what;
    setText(badge, text);
  }

  // ---- Prompts, trunks, workers -----------------------------------------

  async function loadPrompts() {
    try {
      const data = await api('GET', '/v1/prompts');
      state.prompts = Array.isArray(data && data.prompts) ? data.prompts.map(String) : [];
    } catch (error) {
      state.prompts = [];
    }
    for (const room of state.rooms.values()) room.fillPrompts();
  }

  async function loadTrunks() {
    try {
      const data = await api('GET', '/v1/trunks');
      state.trunks = Array.isArray(data && data.trunks) && data.trunks.some(
        (trunk) => Array.isArray(trunk.dial_out_patterns) && trunk.dial_out_patterns.length > 0);
    } catch (error) {
      state.trunks = false;
    }
    for (const room of state.rooms.values()) room.showDialOut();
  }

  async function refreshWorkers() {
    const generation = state.generation;
    const data = await api('GET', '/v1/workers');
    if (generation !== state.generation || !data || !Array.isArray(data.workers)) return;
    const list = $('workers');
    while (list.children.length > data.workers.length) list.lastElementChild.remove();
    data.workers.forEach((worker, i) => {
      let item = list.children[i];
      if (!item) {
        item = fromTemplate('worker-template');
        list.append(item);
      }
      const load = Number(worker.load) || 0;
      item.dataset.worker = String(worker.index);
      setText(item.querySelector('.worker-name'), `worker ${worker.index}`);
      item.querySelector('.worker-meter').value = Math.min(load, 1);
      setText(item.querySelector('.worker-load'),
        `${(load * 100).toFixed(1)}% busy (mixing ${Number(worker.tick_ms).toFixed(2)} of ` +
        `${data.tick_ms} ms a tick)`);
      setText(item.querySelector('.worker-detail'),
        `${worker.rooms} room${worker.rooms === 1 ? '' : 's'}, ${worker.participants} ` +
        `participant${worker.participants === 1 ? '' : 's'}, ${worker.late_ticks} late tick` +
        `${worker.late_ticks === 1 ? '' : 's'}`);
      item.classList.toggle('late', Number(worker.late_ticks) > 0);
    });
  }

  // ---- Rooms --------------------------------------------------------------

  class Room {
    constructor(name) {
      this.name = name;
      this.info = {};
      this.participants = new Map();  // id -> Participant
      this.messages = [];
      this.messagesLoaded = false;
      this.element = fromTemplate('room-template');
      this.element.dataset.room = name;
      setText(this.element.querySelector('.room-name'), name);
      this.wire();
      this.fillPrompts();
      this.showDialOut();
    }

    $(selector) {
      return this.element.querySelector(selector);
    }

    wire() {
      this.$('.lock').addEventListener('click', () => act('Lock', async () => {
        this.update(await api('PATCH', roomPath(this.name), {locked: !this.info.locked}));
      }));
      this.$('.record').addEventListener('click', () => act('Recording', async () => {
        if (this.info.recording) {
          await api('DELETE', `${roomPath(this.name)}/recording`);
        } else {
          const started = await api('POST', `${roomPath(this.name)}/recording`, {});
          this.info.recording = started && started.recording;
        }
        await this.refresh();
      }));
      this.$('.play-room').addEventListener('click', () => act('Play', async () => {
        const prompt = this.$('.prompt').value;
        if (prompt) await api('POST', `${roomPath(this.name)}/play`, {prompt});
      }));
      this.$('.video-mode').addEventListener('change', (event) => act('Video mode', async () => {
        this.update(await api('PATCH', roomPath(this.name), {video_mode: event.target.value}));
      }));
      this.$('.end-presenting').addEventListener('click', () => act('Presenter', async () => {
        this.update(await api('PATCH', roomPath(this.name), {presenter: null}));
      }));
      this.$('.dial-out').addEventListener('submit', (event) => {
        event.preventDefault();
        const input = this.$('.dial-number');
        const to = input.value.trim();
        if (!to) return;
        act('Dial out', async () => {
          const call = await api('POST', `${roomPath(this.name)}/calls`, {to});
          input.value = '';
          setText(this.$('.dial-status'), `calling ${to} (call ${call && call.id})`);
        });
      });
      const chat = this.$('.chat');
      chat.addEventListener('toggle', () => {
        if (chat.open && !this.messagesLoaded) this.loadMessages().catch(() => {});
      });
      this.$('.chat-form').addEventListener('submit', (event) => {
        event.preventDefault();
        const input = this.$('.chat-text');
        const body = input.value;
        if (!body.trim()) return;
        act('Chat', async () => {
          await api('POST', `${roomPath(this.name)}/messages`, {body});
          input.value = '';
        });
      });
    }

    fillPrompts() {
      const select = this.$('.prompt');
      const chosen = select.value;
      select.replaceChildren(...state.prompts.map((name) => option(name, name)));
      if (state.prompts.includes(chosen)) select.value = chosen;
      this.$('.play-room').disabled = state.prompts.length === 0;
    }

    showDialOut() {
      this.$('.dial-out').hidden = !state.trunks;
    }

    // A room as GET /v1/rooms or PATCH answers it (no participant list).
    update(info) {
      if (!info) return;
      this.info = Object.assign(this.info, info);
      const locked = Boolean(this.info.locked);
      setFlag(this.$('.room-locked'), locked);
      setText(this.$('.lock'), locked ? 'Unlock' : 'Lock');
      const recording = Boolean(this.info.recording);
      setFlag(this.$('.room-recording'), recording);
      setText(this.$('.record'), recording ? 'Stop recording' : 'Record');
      this.element.classList.toggle('is-recording', recording);
      setFlag(this.$('.room-ns'), Boolean(this.info.noise_suppression));
      setFlag(this.$('.room-agc'), Boolean(this.info.agc));
      const count = Number(this.info.participants) || 0;
      setText(this.$('.room-count'), `${count} in the room`);
      const video = [...this.participants.values()].some((p) => p.info.video);
      setFlag(this.$('.video-controls'), video || this.info.presenter != null);
      if (typeof this.info.video_mode === 'string') this.$('.video-mode').value = this.info.video_mode;
      setFlag(this.$('.end-presenting'), this.info.presenter != null);
      for (const participant of this.participants.values()) participant.render();
      this.element.classList.toggle('vacant', count === 0 && this.participants.size === 0);
    }

    // The participants as the server lists them now.
    setParticipants(list) {
      const seen = new Set();
      for (const info of list) {
        seen.add(String(info.id));
        this.upsert(info);
      }
      for (const id of [...this.participants.keys()]) {
        if (!seen.has(id)) this.remove(id);
      }
      this.afterChange();
    }

    upsert(info) {
      const id = String(info.id);
      let participant = this.participants.get(id);
      if (!participant) {
        participant = new Participant(this, info);
        this.participants.set(id, participant);
        this.insertInOrder(participant);
      } else {
        participant.info = Object.assign(participant.info, info);
      }
      participant.render();
      return participant;
    }

    insertInOrder(participant) {
      const list = this.$('.participants');
      const after = [...list.children].find((item) => Number(item.dataset.id) > Number(participant.info.id));
      list.insertBefore(participant.element, after || null);
    }

    remove(id) {
      const participant = this.participants.get(String(id));
      if (!participant) return;
      participant.element.remove();
      this.participants.delete(String(id));
    }

    afterChange() {
      setFlag(this.$('.nobody'), this.participants.size === 0);
      this.update({participants: this.participants.size});
      applyFilter();
    }

    // Reads the room and its participants again.
    async refresh() {
      const generation = state.generation;
      const data = await api('GET', roomPath(this.name));
      if (generation !== state.generation || !data) return;
      const list = Array.isArray(data.participant_list) ? data.participant_list : [];
      delete data.participant_list;
      this.update(data);
      this.setParticipants(list);
    }

    async loadMessages() {
      const after = this.messages.length ? this.messages[this.messages.length - 1].id : 0;
      const data = await api('GET', `${roomPath(this.name)}/messages?after=${after}`);
      this.messagesLoaded = true;
      for (const message of (data && data.messages) || []) this.addMessage(message);
    }

    addMessage(message) {
      if (this.messages.some((kept) => kept.id === message.id)) return;
      this.messages.push(message);
      const list = this.$('.messages');
      const item = document.createElement('li');
      item.className = 'message';
      item.dataset.id = String(message.id);
      const time = document.createElement('time');
      time.textContent = typeof message.time === 'string' ? message.time.slice(11, 19) : '';
      const who = document.createElement('span');
      who.className = 'sender';
      who.textContent = message.name || message.from || 'room';
      const body = document.createElement('span');
      body.className = 'body';
      body.textContent = message.body;
      item.append(time, who, body);
      list.append(item);
      while (this.messages.length > MAX_MESSAGES) {
        this.messages.shift();
        list.firstElementChild.remove();
      }
      setText(this.$('.chat-count'), `(${this.messages.length})`);
      list.scrollTop = list.scrollHeight;
    }
  }

  class Participant {
    constructor(room, info) {
      this.room = room;
      this.info = Object.assign({}, info);
      this.element = fromTemplate('participant-template');
      this.element.dataset.id = String(info.id);
      this.confirmKick = 0;
      this.wire();
    }

    $(selector) {
      return this.element.querySelector(selector);
    }

    path() {
      return participantPath(this.room.name, this.info.id);
    }

    wire() {
      this.$('.mute').addEventListener('click', () => act('Mute', async () => {
        const answer = await api('POST', `${this.path()}/${this.info.muted ? 'unmute' : 'mute'}`);
        if (answer) this.room.upsert(answer);
      }));
      this.$('.play').addEventListener('click', () => act('Play', async () => {
        const prompt = this.room.$('.prompt').value;
        if (prompt) await api('POST', `${this.path()}/play`, {prompt});
      }));
      this.$('.present').addEventListener('click', () => act('Presenter', async () => {
        this.room.update(await api('PATCH', roomPath(this.room.name), {presenter: Number(this.info.id)}));
      }));
      // Two clicks within 4 s: a kick hangs up on someone.
      this.$('.kick').addEventListener('click', () => {
        const now = Date.now();
        if (now - this.confirmKick > 4000) {
          this.confirmKick = now;
          setText(this.$('.kick'), 'Kick?');
          setTimeout(() => setText(this.$('.kick'), 'Kick'), 4000);
          return;
        }
        act('Kick', async () => {
          await api('DELETE', this.path());
          this.room.remove(this.info.id);
          this.room.afterChange();
        });
      });
    }

    render() {
      const p = this.info;
      const name = p.caller_number ? `${p.caller_number} (${p.from})` : p.from;
      setText(this.$('.name'), name);
      this.element.title = p.call_id ? `call ${p.call_id}` : '';
      this.element.classList.toggle('talking', Boolean(p.talking));
      this.element.classList.toggle('muted', Boolean(p.muted));
      this.$('.talk').title = p.talking ? 'talking' : 'silent';
      setFlag(this.$('.moderator'), p.moderator);
      setFlag(this.$('.muted-badge'), p.muted);
      setFlag(this.$('.waiting'), p.waiting);
      setFlag(this.$('.held'), p.held);
      const presenting = this.room.info.presenter != null && Number(this.room.info.presenter) === Number(p.id);
      setFlag(this.$('.presenting'), presenting);
      setFlag(this.$('.present'), Boolean(p.video) && !presenting);
      setText(this.$('.codec'), p.video && p.video.codec ? `${p.codec} + ${p.video.codec}` : p.codec);
      const lost = Number(p.lost) || 0;
      const got = Number(p.packets_in) || 0;
      const share = got + lost > 0 ? (100 * lost) / (got + lost) : 0;
      setText(this.$('.loss'), `loss ${lost} (${share.toFixed(1)}%)`);
      setText(this.$('.jitter'), `jitter ${Number(p.jitter_ms) || 0} ms`);
      setText(this.$('.mute'), p.muted ? 'Unmute' : 'Mute');
    }
  }

  function roomNamed(name) {
    let room = state.rooms.get(name);
    if (!room) {
      room = new Room(name);
      state.rooms.set(name, room);
      const container = $('rooms');
      const after = [...container.children].find((item) => item.dataset.room > name);
      container.insertBefore(room.element, after || null);
    }
    return room;
  }

  // Every room, and the participants of those with someone in them; one
  // reading at a time (asked for meanwhile: once more when it is done).
  let reading = null;
  let readAgain = false;
  function refreshRooms() {
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = readRooms().finally(() => {
      reading = null;
      if (readAgain) {
        readAgain = false;
        refreshRooms().catch(() => {});
      }
    });
    return reading;
  }

  async function readRooms() {
    const generation = state.generation;
    const data = await api('GET', '/v1/rooms');
    if (generation !== state.generation || !data || !Array.isArray(data.rooms)) return;
    const names = new Set();
    const occupied = [];
    for (const info of data.rooms) {
      const name = String(info.name);
      names.add(name);
      const room = roomNamed(name);
      room.update(info);
      if (Number(info.participants) > 0 || room.participants.size > 0) {
        occupied.push(room);
      } else {
        room.update({recording: null});
      }
    }
    for (const [name, room] of state.rooms) {
      if (!names.has(name)) {
        room.element.remove();
        state.rooms.delete(name);
      }
    }
    applyFilter();
    // The participants of the rooms on show, a few requests at a time: a
    // bridge with hundreds of rooms is not asked for all of them at once.
    const shown = occupied.filter((room) => !room.element.hidden);
    for (let i = 0; i < shown.length; i += PARALLEL_READS) {
      if (generation !== state.generation) return;
      await Promise.all(shown.slice(i, i + PARALLEL_READS).map((room) => room.refresh().catch(() => {})));
    }
  }

  function applyFilter() {
    const text = $('filter').value.trim().toLowerCase();
    const showEmpty = $('show-empty').checked;
    let shown = 0;
    for (const room of state.rooms.values()) {
      const empty = room.participants.size === 0;
      const visible = (!text || room.name.toLowerCase().includes(text)) && (showEmpty || !empty);
      room.element.hidden = !visible;
      if (visible) shown++;
    }
    $('no-rooms').hidden = shown > 0 || state.rooms.size === 0;
  }

  // ---- The event stream ---------------------------------------------------

  function openEvents(generation) {
    let delay = 1000;
    const connect = async () => {
      if (generation !== state.generation) return;
      const controller = new AbortController();
      state.stream = controller;
      try {
        const response = await fetch('/v1/events', {
          headers: {Authorization: `Bearer ${state.token}`, Accept: 'text/event-stream'},
          cache: 'no-store', credentials: 'omit', signal: controller.signal,
        });
        if (response.status === 401) {
          signOut('The token was refused.');
          return;
        }
        if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
        setConnection('live', 'live');
        delay = 1000;
        // Subscribed before these headers came: read now, nothing is missed.
        refreshRooms().catch(() => {});
        await readEvents(response.body, generation);
      } catch (error) {
        if (controller.signal.aborted) return;
      }
      if (generation !== state.generation) return;
      setConnection('retrying', 'reconnecting');
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    };
    connect();
  }

  async function readEvents(body, generation) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (done || generation !== state.generation) return;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        dispatch(block);
      }
      if (buffer.length > MAX_EVENT_BYTES) buffer = '';
    }
  }

  // One SSE block: "event: <type>" and "data: <json>" lines; comments skipped.
  function dispatch(block) {
    let type = '';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    let event;
    try {
      event = JSON.parse(data.join('\n'));
    } catch (error) {
      return;
    }
    if (event && typeof event === 'object') onEvent(type, event);
  }

  const participantFlags = {
    talking_started: {talking: true},
    talking_stopped: {talking: false},
    muted: {muted: true},
    unmuted: {muted: false},
    waiting_started: {waiting: true},
    waiting_ended: {waiting: false},
  };

  function onEvent(type, event) {
    if (type === 'lost') {
      refreshRooms().catch(() => {});
      return;
    }
    const name = typeof event.room === 'string' ? event.room : null;
    const room = name !== null ? state.rooms.get(name) : null;
    if (type in participantFlags) {
      const participant = room && room.participants.get(String(event.participant));
      if (participant) {
        Object.assign(participant.info, participantFlags[type]);
        participant.render();
      }
      return;
    }
    switch (type) {
      case 'participant_joined':
      case 'video_mode_changed':
      case 'presenter_changed':
        if (room) room.refresh().catch(() => {});
        else if (name !== null) refreshRooms().catch(() => {});
        break;
      case 'participant_left':
        if (room) {
          room.remove(event.participant);
          room.afterChange();
        }
        break;
      case 'recording_started':
      case 'recording_stopped':
        if (room) room.update({recording: type === 'recording_started' ? (event.path || true) : null});
        break;
      case 'room_locked':
      case 'room_unlocked':
        if (room) room.update({locked: type === 'room_locked'});
        break;
      case 'message':
        if (room) room.addMessage(event);
        break;
      case 'dial_out':
        if (room) {
          const said = event.state === 'refused' || event.state === 'failed'
            ? `${event.state}${event.why ? `: ${event.why}` : ''}${event.reason ? `: ${event.reason}` : ''}`
            : event.state;
          setText(room.$('.dial-status'), `${event.number || ''} ${said}`.trim());
        }
        break;
      default:
        break;
    }
  }

  // ---- Start ----------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      if (!token) {
        $('sign-in-error').textContent = 'Type the API token.';
        return;
      }
      signIn(token);
    });
    $('sign-out').addEventListener('click', () => signOut(''));
    $('filter').addEventListener('input', applyFilter);
    $('show-empty').addEventListener('change', applyFilter);
    const kept = sessionStorage.getItem(TOKEN_KEY);
    if (kept) signIn(kept);
    else $('token').focus();
  });
})();
