"""The metric names a PromQL expression reads, and the names a /metrics page
exposes: what the monitoring tests compare so that renaming a metric breaks
a test rather than a dashboard panel or an alert nobody sees fire.

Not a PromQL parser (promtool checks the syntax): it strips what cannot be
a metric name (strings, label matchers, ranges, grouping clauses), then
keeps every identifier that is not a function, aggregation or keyword."""

import re

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan"}
# Series Prometheus makes itself for every scrape, not tuttid.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
             "scrape_samples_post_metric_relabeling", "scrape_series_added"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_BRACES = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")


def metric_names(expr):
    """The metric names `expr` reads (a set)."""
    text = _STRING.sub('""', expr)
    text = _BRACES.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        names.add(name)
    return names


def exposed_names(metrics_text):
    """Every series name a /metrics page in the text format can give:
    sample names, declared families, and a histogram's _bucket, _sum and
    _count."""
    names = set()
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            names.add(name)
            if kind in ("histogram", "summary"):
                names.update({name + "_bucket", name + "_sum", name + "_count"})
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names


def dashboard_exprs(dashboard):
    """(panel title, expr) for every query of a Grafana dashboard's panels,
    rows' nested panels included."""
    found = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                found.append((panel.get("title", ""), target.get("expr", "")))
            walk(panel.get("panels", []))

    walk(dashboard.get("panels", []))
    return found


def rule_exprs(rules):
    """(alert or record name, expr) for every rule of a Prometheus rules file."""
    return [(rule.get("alert") or rule.get("record"), rule["expr"])
            for group in rules["groups"] for rule in group["rules"]]
