"""The Grafana dashboard and the Prometheus rules in ops/ (issue 19).

MonitoringFilesTest (ctest lint.monitoring_files) checks the files alone:
the dashboard's JSON is what ops/grafana/make_dashboard.py makes, promtool
check rules, promtool test rules with ops/prometheus/
tutti-alerts.test.yml (each alert fires on series that should fire it and
stays quiet beside them), promtool check config on the example
configuration, and the dashboard's structure, every query's PromQL (through
promtool) and its variables.

RealMetricsTest (ctest integration.monitoring_metrics) starts a tuttid with
a trunk, places a call and asks the API, then runs promtool check metrics on
its /metrics and checks that every metric the dashboard and the rules read
is there: renaming a metric breaks this test, not a panel or an alert
nobody sees fire."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from promql_names import (SYNTHETIC, dashboard_exprs, exposed_names,  # noqa: E402
                          metric_names, rule_exprs)

PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool") or "promtool"
DASHBOARD = os.path.join(ROOT, "ops", "grafana", "tutti-dashboard.json")
PROMETHEUS = os.path.join(ROOT, "ops", "prometheus")
RULES = os.path.join(PROMETHEUS, "tutti-alerts.yml")
RULES_TEST = os.path.join(PROMETHEUS, "tutti-alerts.test.yml")
EXAMPLE_CONFIG = os.path.join(PROMETHEUS, "prometheus.example.yml")
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
# Grafana's variables as Prometheus would see them once Grafana fills them in.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h",
                     "$instance": ".+"}


def promtool(*args, cwd=None):
    return subprocess.run([PROMTOOL, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=60, cwd=cwd)


def load_dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def load_rules():
    with open(RULES) as f:
        return yaml.safe_load(f)


def monitored_names():
    """{metric name: where it is read} over the dashboard and the rules."""
    used = {}
    for title, expr in dashboard_exprs(load_dashboard()):
        for name in metric_names(expr):
            used.setdefault(name, f"dashboard panel {title!r}")
    for rule, expr in rule_exprs(load_rules()):
        for name in metric_names(expr):
            used.setdefault(name, f"rule {rule}")
    return used


class PromqlNamesTest(unittest.TestCase):
    """The name extraction the checks below rely on."""

    def test_names_and_not_functions_labels_ranges_or_groupings(self):
        expr = ('histogram_quantile(0.99, sum by (instance, le) (rate(tutti_worker_tick_seconds_bucket'
                '{instance=~"$instance",le!="+Inf"}[$__rate_interval]))) > 1e6 '
                'and on (instance) up{job="tutti"} == 0 or time() - tutti_x_seconds offset 5m')
        self.assertEqual(metric_names(expr), {"tutti_worker_tick_seconds_bucket", "up",
                                              "tutti_x_seconds"})

    def test_exposed_names_include_a_histograms_series(self):
        text = ("# TYPE a_seconds histogram\na_seconds_bucket{le=\"1\"} 0\n"
                "# TYPE b_total counter\nb_total{x=\"y\"} 3\nc 1\n")
        self.assertEqual(exposed_names(text), {"a_seconds", "a_seconds_bucket", "a_seconds_sum",
                                               "a_seconds_count", "b_total", "c"})


class MonitoringFilesTest(unittest.TestCase):
    def test_rules_pass_promtool_check_rules(self):
        result = promtool("check", "rules", "--lint=all", "--lint-fatal", RULES)
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_alerts_fire_when_they_should_and_stay_quiet_otherwise(self):
        result = promtool("test", "rules", os.path.basename(RULES_TEST), cwd=PROMETHEUS)
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_every_alert_is_unit_tested_firing(self):
        with open(RULES_TEST) as f:
            tests = yaml.safe_load(f)
        fired = {case["alertname"] for test in tests["tests"]
                 for case in test.get("alert_rule_test", []) if case.get("exp_alerts")}
        alerts = {name for name, _ in rule_exprs(load_rules())}
        self.assertEqual(alerts - fired, set(), "alerts no test shows firing")

    def test_every_alert_has_severity_summary_description(self):
        for group in load_rules()["groups"]:
            for rule in group["rules"]:
                with self.subTest(rule["alert"]):
                    self.assertIn(rule["labels"]["severity"], ("critical", "warning"))
                    self.assertTrue(rule["annotations"]["summary"].strip())
                    self.assertTrue(rule["annotations"]["description"].strip())

    def test_example_prometheus_config_is_valid_with_the_rules(self):
        # The example names the token file where a package would put it;
        # checked here with a token file of the test's own.
        with tempfile.TemporaryDirectory(prefix="tutti-prom-") as folder:
            token = os.path.join(folder, "token")
            with open(token, "w") as f:
                f.write("test-token-0123456789abcdef\n")
            with open(EXAMPLE_CONFIG) as f:
                text = f.read()
            self.assertIn("/etc/prometheus/tutti-api-token", text)
            with open(os.path.join(folder, "prometheus.yml"), "w") as f:
                f.write(text.replace("/etc/prometheus/tutti-api-token", token))
            shutil.copy(RULES, folder)
            result = promtool("check", "config", "prometheus.yml", cwd=folder)
            self.assertEqual(result.returncode, 0, result.stdout)
            self.assertIn("SUCCESS: 15 rules found", result.stdout)
            config = yaml.safe_load(text)
            self.assertEqual([job["job_name"] for job in config["scrape_configs"]], ["tutti"])

    def test_dashboard_json_is_what_its_script_makes(self):
        result = subprocess.run([sys.executable, os.path.join(ROOT, "ops", "grafana",
                                                              "make_dashboard.py"), "--check"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_dashboard_variables(self):
        variables = {v["name"]: v for v in load_dashboard()["templating"]["list"]}
        self.assertEqual(variables["DS_PROMETHEUS"]["type"], "datasource")
        self.assertEqual(variables["DS_PROMETHEUS"]["query"], "prometheus")
        instance = variables["instance"]
        self.assertEqual(instance["datasource"], DATASOURCE)
        self.assertTrue(instance["multi"] and instance["includeAll"])
        self.assertIn("instance", instance["definition"])

    def test_dashboard_panels_query_the_datasource_variable_for_the_chosen_instances(self):
        dashboard = load_dashboard()
        panels = [p for p in dashboard["panels"] if p["type"] != "row"]
        self.assertGreater(len(panels), 20)
        ids = [p["id"] for p in dashboard["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids are unique")
        for panel in panels:
            with self.subTest(panel["title"]):
                self.assertEqual(panel["datasource"], DATASOURCE)
                self.assertTrue(panel["targets"])
                self.assertTrue(panel.get("description"))
                for target in panel["targets"]:
                    self.assertEqual(target["datasource"], DATASOURCE)
                    self.assertIn('instance=~"$instance"', target["expr"])

    def test_dashboard_panels_do_not_overlap(self):
        taken = {}
        for panel in load_dashboard()["panels"]:
            grid = panel["gridPos"]
            self.assertLessEqual(grid["x"] + grid["w"], 24, panel["title"])
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    self.assertNotIn((x, y), taken,
                                     f"{panel['title']} overlaps {taken.get((x, y))}")
                    taken[(x, y)] = panel["title"]

    def test_dashboard_queries_are_valid_promql(self):
        # promtool checks PromQL in rules files: each query becomes a
        # recording rule, Grafana's variables filled in.
        rules = []
        for i, (title, expr) in enumerate(dashboard_exprs(load_dashboard())):
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            self.assertNotIn("$", expr, f"{title}: a variable promtool cannot fill")
            rules.append({"record": f"dashboard:query_{i}", "expr": expr})
        with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="tutti-dash-") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
            f.flush()
            result = promtool("check", "rules", f.name)
        self.assertEqual(result.returncode, 0, result.stdout)


class RealMetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from tutti_harness import Tuttid, free_port
        # A registering trunk (nobody answers it: its samples are there all
        # the same) on its own addresses, so that the test's call is no
        # trunk call.
        cls.server = Tuttid(extra_config=f"""
[[trunk]]
name = "carrier"
host = "127.0.0.1:{free_port()}"
addresses = ["192.0.2.0/24"]
register = true
username = "tutti"
password = "trunk-secret-for-the-metrics-test"
""")
        try:
            # A call, so that the media and SIP families have samples.
            cls.server.sipp("invite_bye.xml", "-s", "1000", "-d", "300")
            cls.server.wait_for_metric("tutti_calls_answered_total", at_least=1)
            cls.server.wait_for_metric("tutti_sip_requests_total", 'method="BYE"', at_least=1)
            # The API's responses by code: two 200s, a 404, a 401.
            cls.server.api("GET", "/v1/rooms")
            cls.server.api("GET", "/v1/rooms")
            cls.server.api("GET", "/v1/no-such-thing")
            cls.server.api("GET", "/v1/rooms", token=False)
            status, cls.metrics = cls.server.api("GET", "/metrics")
            assert status == 200, status
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, f"tuttid exited {code}:\n" + cls.server.log_text()[-3000:]

    def test_promtool_check_metrics_finds_no_problem(self):
        result = subprocess.run([PROMTOOL, "check", "metrics"], input=self.metrics,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertEqual(result.stdout.strip(), "", "promtool's lint findings")

    def test_every_metric_the_dashboard_and_rules_read_exists(self):
        exposed = exposed_names(self.metrics)
        used = monitored_names()
        self.assertIn("tutti_trunk_registered", used)  # the trunk's families are read...
        self.assertIn('tutti_trunk_registered{trunk="carrier"}', self.metrics)  # ...and there
        missing = {name: where for name, where in used.items()
                   if name not in exposed and name not in SYNTHETIC}
        self.assertEqual(missing, {}, "metrics read but not in a real tuttid's /metrics")

    def test_api_responses_are_counted_by_code(self):
        samples = {}
        for line in self.metrics.splitlines():
            if line.startswith("tutti_api_responses_total{"):
                labels, value = line.rsplit(" ", 1)
                samples[labels] = float(value)
        self.assertGreaterEqual(samples.get('tutti_api_responses_total{code="200"}', 0), 2)
        self.assertEqual(samples.get('tutti_api_responses_total{code="404"}'), 1)
        self.assertEqual(samples.get('tutti_api_responses_total{code="401"}'), 1)


if __name__ == "__main__":
    unittest.main()
