"""Rooms made, changed and deleted through the control API outlast tuttid
([store] path, server/stored_rooms.h): a real tuttid is stopped with SIGTERM
and started again on the same database; a write the database refuses is
answered 503 and changes nothing; a database of a newer tutti is refused."""

import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import unittest

from tutti_harness import TUTTID, Tuttid, check_clean_exit


class RoomStoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tutti-rooms-")
        self.db = os.path.join(self.dir, "rooms.db")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            if server.proc.poll() is None:
                check_clean_exit(self, server)
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, store=True):
        server = Tuttid(extra_config=f'[store]\npath = "{self.db}"\n' if store else "")
        self.servers.append(server)
        return server

    def rooms(self, server):
        status, body = server.api("GET", "/v1/rooms")
        self.assertEqual(status, 200, body)
        return {room["name"]: room for room in body["rooms"]}

    def test_rooms_made_changed_and_deleted_through_the_api_survive_a_restart(self):
        first = self.start()
        status, sales = first.api("POST", "/v1/rooms", {"name": "sales", "codecs": ["PCMU"],
                                                        "max_participants": 4})
        self.assertEqual(status, 201, sales)
        self.assertIs(sales["stored"], True)
        self.assertNotIn("warning", sales)
        status, sales = first.api("PATCH", "/v1/rooms/sales", {"max_participants": 6})
        self.assertEqual(status, 200, sales)
        status, changed = first.api("PATCH", "/v1/rooms/pcmu-only", {"locked": True})
        self.assertEqual(status, 200, changed)  # a room of the config file
        self.assertEqual(first.api("DELETE", "/v1/rooms/1000")[0], 204)  # another
        check_clean_exit(self, first)
        # It holds PINs: only its owner may read it.
        self.assertEqual(stat.S_IMODE(os.stat(self.db).st_mode), 0o600)

        second = self.start()
        rooms = self.rooms(second)
        self.assertEqual(sorted(rooms), ["pcmu-only", "sales"])
        self.assertEqual(rooms["sales"]["codecs"], ["PCMU"])
        self.assertEqual(rooms["sales"]["max_participants"], 6)
        self.assertIs(rooms["pcmu-only"]["locked"], True)
        self.assertEqual(rooms["pcmu-only"]["codecs"], ["PCMU"])  # the file's, unchanged
        second.wait_for_log(r'msg="rooms restored" .*stored=3 not_applied=0')
        self.assertIn('msg="room of the config file stays deleted', second.log_text())

        # A caller reaches the room made before the restart.
        second.sipp("invite_bye.xml", "-s", "sales", "-d", "300")
        record = second.wait_until("the call's record",
                                   lambda: [r for r in second.call_records() if r["room"] == "sales"])
        self.assertEqual(record[0]["codec"], "PCMU")

    def test_a_change_the_database_cannot_keep_is_refused_and_not_made(self):
        server = self.start()
        other = sqlite3.connect(self.db, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")  # e.g. a backup holding the file
            status, body = server.api("POST", "/v1/rooms", {"name": "sales", "pin": "90817263"})
            self.assertEqual(status, 503, body)
            self.assertEqual(body["error"]["code"], 503)
            self.assertIn("nothing changed", body["error"]["message"])
            self.assertEqual(server.api("GET", "/v1/rooms/sales")[0], 404)
            self.assertEqual(server.api("PATCH", "/v1/rooms/1000", {"locked": True})[0], 503)
            self.assertIs(self.rooms(server)["1000"]["locked"], False)
            self.assertEqual(server.api("DELETE", "/v1/rooms/1000")[0], 503)
            self.assertEqual(server.api("GET", "/v1/rooms/1000")[0], 200)
        finally:
            other.execute("ROLLBACK")
            other.close()
        self.assertEqual(server.api("POST", "/v1/rooms", {"name": "sales", "pin": "90817263"})[0], 201)
        self.assertIn('msg="room created not stored: nothing changed"', server.log_text())
        self.assertNotIn("90817263", server.log_text())

    def test_a_database_of_a_newer_tutti_is_refused_at_start(self):
        first = self.start()
        self.assertEqual(first.api("POST", "/v1/rooms", {"name": "sales"})[0], 201)
        check_clean_exit(self, first)
        with sqlite3.connect(self.db) as db:
            db.execute("PRAGMA user_version = 99")
        result = subprocess.run([TUTTID, f"--config={first.config_path}"], capture_output=True,
                                text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0, result.stderr)
        self.assertIn("newer tutti (schema version 99", result.stderr)
        self.assertIn(self.db, result.stderr)
        self.assertNotIn('msg=started', result.stderr)
        with sqlite3.connect(self.db) as db:  # left as it was
            self.assertEqual(db.execute("SELECT name FROM rooms").fetchall(), [("sales",)])

    def test_without_a_database_the_answer_and_the_log_say_rooms_are_not_kept(self):
        server = self.start(store=False)
        status, room = server.api("POST", "/v1/rooms", {"name": "sales"})
        self.assertEqual(status, 201, room)
        self.assertIs(room["stored"], False)
        self.assertIn("lost when tuttid stops", room["warning"])
        self.assertIn("rooms made or changed through the API are not stored", server.log_text())


if __name__ == "__main__":
    unittest.main()
