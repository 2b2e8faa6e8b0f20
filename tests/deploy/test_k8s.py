"""deploy/k8s: plain manifests + kustomization, checked statically."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.facts import (
    ALLOWED_METRICS,
    AUTOSCALED,
    DRAIN_SECONDS,
    K8S,
    ROOT,
    SECRETS_DIR,
    SERVICE_PORTS,
    base_metric,
    load_yaml,
    load_yaml_docs,
    metric_names,
)

Doc = dict[str, Any]


def _k8s_name(service: str) -> str:
    return "kakehashi-" + service.replace("_", "-")


@pytest.fixture(scope="module")
def kustomization() -> Doc:
    data = load_yaml(K8S / "kustomization.yaml")
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def docs(kustomization: Doc) -> list[Doc]:
    out: list[Doc] = []
    for resource in kustomization["resources"]:
        out += load_yaml_docs(K8S / resource)
    return out


def _of_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module")
def deployments(docs: list[Doc]) -> dict[str, Doc]:
    return _of_kind(docs, "Deployment")


@pytest.fixture(scope="module")
def secret_template() -> Doc:
    (doc,) = load_yaml_docs(K8S / "secret.template.yaml")
    return doc


def _container(deployment: Doc) -> Doc:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: Doc = containers[0]
    return container


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# ------------------------------------------------------------------ files
def test_every_manifest_parses_and_is_named() -> None:
    for path in sorted(K8S.glob("*.yaml")):
        for doc in load_yaml_docs(path):
            if path.name == "kustomization.yaml":
                assert doc["kind"] == "Kustomization"
                continue
            assert doc.get("apiVersion"), f"{path.name}: no apiVersion"
            assert doc.get("kind"), f"{path.name}: no kind"
            assert doc["metadata"]["name"], f"{path.name}: no metadata.name"


def test_kustomization_lists_every_file(kustomization: Doc) -> None:
    listed = list(kustomization["resources"])
    assert len(listed) == len(set(listed)), "a resource is listed twice"
    for resource in listed:
        assert (K8S / resource).is_file(), f"kustomization lists a missing file: {resource}"
    present = {
        p.name
        for p in K8S.glob("*.y*ml")
        if p.name != "kustomization.yaml" and not p.name.endswith(".template.yaml")
    }
    assert set(listed) == present, f"unlisted: {present - set(listed)}"
    assert kustomization["namespace"] == "kakehashi"


def test_the_secret_is_only_a_template(docs: list[Doc], secret_template: Doc) -> None:
    assert not _of_kind(docs, "Secret"), "kubectl apply -k would overwrite the real Secret"
    assert secret_template["kind"] == "Secret"
    for key, value in secret_template["stringData"].items():
        assert re.fullmatch(r"<[^>]+>", value), f"{key}: template values are placeholders only"
    assert "data" not in secret_template


def test_namespace_enforces_restricted_pod_security(docs: list[Doc]) -> None:
    ns = _of_kind(docs, "Namespace")["kakehashi"]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_configmap_holds_only_kakehashi_settings_and_no_secrets(docs: list[Doc]) -> None:
    config = _of_kind(docs, "ConfigMap")["kakehashi-config"]["data"]
    for key in config:
        assert key.startswith("KAKEHASHI_")
        assert not re.search(r"(PASSWORD|SECRET|TOKEN|ENCRYPTION_KEY)$", key), key
        assert "@" not in str(config[key]), f"{key}: credentials in a URL belong in the Secret"
    assert config["KAKEHASHI_SECRETS_DIR"] == SECRETS_DIR


# ------------------------------------------------------------------ deployments
def test_one_deployment_per_service(deployments: dict[str, Doc]) -> None:
    assert set(deployments) == {_k8s_name(s) for s in SERVICE_PORTS}


@pytest.mark.parametrize("service", sorted(SERVICE_PORTS))
def test_deployment_runs_its_service(deployments: dict[str, Doc], service: str) -> None:
    container = _container(deployments[_k8s_name(service)])
    assert container["args"] == ["service", service]
    assert container["args"][1] in SERVICE_PORTS, "args name a real service"
    assert "command" not in container, "the image's ENTRYPOINT is kakehashi"
    port = SERVICE_PORTS[service]
    assert {"name": "http", "containerPort": port, "protocol": "TCP"} in container["ports"]
    env = {e["name"]: e for e in container["env"]}
    assert env["KAKEHASHI_HTTP_PORT"]["value"] == str(port)


@pytest.mark.parametrize("service", sorted(SERVICE_PORTS))
def test_deployment_probes(deployments: dict[str, Doc], service: str) -> None:
    container = _container(deployments[_k8s_name(service)])
    live = container["livenessProbe"]["httpGet"]
    ready = container["readinessProbe"]["httpGet"]
    assert live["path"] == "/healthz"
    assert ready["path"] == "/readyz"
    for probe in (live, ready):
        assert probe["port"] in ("http", SERVICE_PORTS[service])


@pytest.mark.parametrize("service", sorted(SERVICE_PORTS))
def test_deployment_is_non_root_and_read_only(deployments: dict[str, Doc], service: str) -> None:
    pod = deployments[_k8s_name(service)]["spec"]["template"]["spec"]
    container = _container(deployments[_k8s_name(service)])
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts, "a writable /tmp on a read-only root"


@pytest.mark.parametrize("service", sorted(SERVICE_PORTS))
def test_deployment_outlives_the_drain(deployments: dict[str, Doc], service: str) -> None:
    pod = deployments[_k8s_name(service)]["spec"]["template"]["spec"]
    grace = pod["terminationGracePeriodSeconds"]
    assert grace == 30
    pre_stop = _container(deployments[_k8s_name(service)]).get("lifecycle", {}).get("preStop")
    sleep = 0
    if pre_stop:
        command = pre_stop["exec"]["command"]
        assert command[0] == "sleep"
        sleep = int(command[1])
    assert grace > DRAIN_SECONDS + sleep


@pytest.mark.parametrize("service", sorted(SERVICE_PORTS))
def test_deployment_resources(deployments: dict[str, Doc], service: str) -> None:
    resources = _container(deployments[_k8s_name(service)])["resources"]
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[bound]), f"{bound} needs cpu and memory"


@pytest.mark.parametrize("service", sorted(SERVICE_PORTS))
def test_deployment_config_and_secrets(
    deployments: dict[str, Doc], secret_template: Doc, service: str
) -> None:
    deployment = deployments[_k8s_name(service)]
    container = _container(deployment)
    assert {"configMapRef": {"name": "kakehashi-config"}} in container["envFrom"]
    secret_keys = set(secret_template["stringData"])
    env = {e["name"]: e for e in container["env"]}
    for name in ("KAKEHASHI_AMQP_URL", "KAKEHASHI_MONGODB_URL"):
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret_template["metadata"]["name"]
        assert ref["key"] in secret_keys
    for entry in container["env"]:
        assert not ("value" in entry and re.search(r"(SECRET|TOKEN|PASSWORD|_KEY)$", entry["name"]))
        if "valueFrom" in entry and "secretKeyRef" in entry["valueFrom"]:
            assert entry["valueFrom"]["secretKeyRef"]["key"] in secret_keys
    if service == "admin":
        assert env["KAKEHASHI_ADMIN_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "admin_token"
    else:
        assert "KAKEHASHI_ADMIN_TOKEN" not in env, "only the admin service knows the admin token"
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    secret_mounts = [m for m in mounts.values() if "secret" in volumes[m["name"]]]
    assert len(secret_mounts) == 1
    assert secret_mounts[0]["mountPath"] == SECRETS_DIR
    assert secret_mounts[0]["readOnly"] is True
    volume = volumes[secret_mounts[0]["name"]]["secret"]
    assert volume["secretName"] == "kakehashi-secrets"
    assert volume["items"] == [{"key": "encryption_key", "path": "encryption_key"}]


def test_every_deployment_uses_the_same_pinned_image(
    deployments: dict[str, Doc], kustomization: Doc
) -> None:
    images = {_container(d)["image"] for d in deployments.values()}
    assert len(images) == 1
    (image,) = images
    name, _, tag = image.rpartition(":")
    assert tag
    assert tag != "latest"
    assert name in {i["name"] for i in kustomization["images"]}


def test_pod_labels_match_selectors(deployments: dict[str, Doc]) -> None:
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert _selects(selector, labels), name
        assert labels["app.kubernetes.io/part-of"] == "kakehashi"


# ------------------------------------------------------------------ scaling and disruption
def test_hpa_for_connectors_and_translator(docs: list[Doc], deployments: dict[str, Doc]) -> None:
    hpas = _of_kind(docs, "HorizontalPodAutoscaler")
    targets = {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()}
    assert targets == {_k8s_name(s) for s in AUTOSCALED}
    for hpa in hpas.values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment"
        assert "replicas" not in deployments[target["name"]]["spec"], (
            "a Deployment managed by an HPA must not pin replicas (apply would reset them)"
        )
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        container = _container(deployments[target["name"]])
        assert "cpu" in container["resources"]["requests"], "CPU utilization needs a request"


def test_every_deployment_has_a_disruption_budget(
    docs: list[Doc], deployments: dict[str, Doc]
) -> None:
    pdbs = _of_kind(docs, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [
            p for p in pdbs.values() if _selects(p["spec"]["selector"]["matchLabels"], labels)
        ]
        assert len(covering) == 1, f"{name}: {len(covering)} PodDisruptionBudgets"
        assert covering[0]["spec"].get("maxUnavailable") == 1


# ------------------------------------------------------------------ traffic and metrics
def test_every_service_has_a_service_with_an_http_port(
    docs: list[Doc], deployments: dict[str, Doc]
) -> None:
    services = _of_kind(docs, "Service")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [s for s in services.values() if _selects(s["spec"]["selector"], labels)]
        assert len(matching) == 1, name
        ports = {p["name"]: p for p in matching[0]["spec"]["ports"]}
        assert ports["http"]["targetPort"] == "http"


def test_ingress_routes_only_the_webhooks(docs: list[Doc]) -> None:
    (ingress,) = _of_kind(docs, "Ingress").values()
    services = _of_kind(docs, "Service")
    paths = {}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            paths[path["path"]] = path["backend"]["service"]
    assert set(paths) == {"/webhooks/graph", "/webhooks/garoon"}
    for backend in paths.values():
        assert backend["name"] == "kakehashi-ingress"
        port_names = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
        assert backend["port"]["name"] in port_names
    assert ingress["spec"]["tls"], "Graph only calls HTTPS endpoints"


def test_service_monitor_scrapes_every_service(docs: list[Doc]) -> None:
    (monitor,) = _of_kind(docs, "ServiceMonitor").values()
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    selector = monitor["spec"]["selector"]["matchLabels"]
    endpoints = monitor["spec"]["endpoints"]
    assert {"port": "http", "path": "/metrics"}.items() <= endpoints[0].items()
    selected = [
        s for s in _of_kind(docs, "Service").values() if _selects(selector, s["metadata"]["labels"])
    ]
    assert len(selected) == len(SERVICE_PORTS)


# ------------------------------------------------------------------ alert rules
@pytest.fixture(scope="module")
def alert_rules(docs: list[Doc]) -> dict[str, Doc]:
    (rule,) = _of_kind(docs, "PrometheusRule").values()
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    rules: dict[str, Doc] = {}
    for group in rule["spec"]["groups"]:
        for r in group["rules"]:
            assert r["alert"] not in rules, f"duplicate alert {r['alert']}"
            rules[r["alert"]] = r
    return rules


def test_metric_name_extraction() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (queue, le) "
        "(rate(kakehashi_bus_handler_duration_seconds_bucket"
        '{queue=~"a.*"}[5m]))) > 2 and on (namespace) up{job="x"} == 0 unless absent(kakehashi_x)'
    )
    assert metric_names(expr) == {
        "kakehashi_bus_handler_duration_seconds_bucket",
        "up",
        "kakehashi_x",
    }


def test_alert_expressions_use_only_known_metrics(alert_rules: dict[str, Doc]) -> None:
    for name, rule in alert_rules.items():
        used = {base_metric(m) for m in metric_names(rule["expr"])}
        assert used, f"{name}: no metric found in {rule['expr']!r}"
        assert used <= ALLOWED_METRICS, f"{name} uses unknown metrics {used - ALLOWED_METRICS}"


# what each required alert must watch
REQUIRED_ALERTS = {
    "service not ready": "kakehashi_service_ready",
    "dead letters growing": "kakehashi_bus_dead_lettered_total",
    "Graph throttling": "kakehashi_graph_throttled_total",
    "subscription renewal failures": "kakehashi_subscription_operations_total",
    "renewal loop stalled": "kakehashi_renewal_last_tick_timestamp_seconds",
    "forged or rejected webhooks": "kakehashi_ingress_items_total",
    "client secret expiring": "kakehashi_secret_expiry_seconds",
    "mass-delete guard": "kakehashi_mass_delete_blocked_total",
    "sync latency p99": "kakehashi_sync_latency_seconds",
}


@pytest.mark.parametrize("topic", sorted(REQUIRED_ALERTS))
def test_required_alert_exists(alert_rules: dict[str, Doc], topic: str) -> None:
    metric = REQUIRED_ALERTS[topic]
    watching = [
        r
        for r in alert_rules.values()
        if metric in {base_metric(m) for m in metric_names(r["expr"])}
    ]
    assert watching, f"no alert for {topic} ({metric})"


def test_secret_expiry_alert_fires_30_days_ahead(alert_rules: dict[str, Doc]) -> None:
    thresholds = [
        r["expr"] for r in alert_rules.values() if "kakehashi_secret_expiry_seconds" in r["expr"]
    ]
    assert any(re.search(r"<\s*30\s*\*\s*86400\b", e) for e in thresholds)


def test_sync_latency_alert_is_on_p99(alert_rules: dict[str, Doc]) -> None:
    exprs = [
        r["expr"] for r in alert_rules.values() if "kakehashi_sync_latency_seconds" in r["expr"]
    ]
    assert any("histogram_quantile(0.99" in e for e in exprs)


def test_alerts_are_documented(alert_rules: dict[str, Doc]) -> None:
    deploy_doc = (ROOT / "docs" / "deploy.md").read_text("utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in deploy_doc.splitlines()
        if line.startswith("#")
    }
    for name, rule in alert_rules.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"], name
        url = rule["annotations"]["runbook_url"]
        assert "/docs/deploy.md#" in url, name
        assert url.rsplit("#", 1)[1] in anchors, f"{name}: docs/deploy.md has no heading for {url}"


def test_no_stray_files_in_k8s() -> None:
    allowed_suffixes = {".yaml"}
    stray = [p.name for p in Path(K8S).iterdir() if p.suffix not in allowed_suffixes]
    assert not stray, stray


# ------------------------------------------------------------------ agreement with the code
def test_service_names_and_ports_match_the_code() -> None:
    """The deploy facts name exactly the services `kakehashi service` runs, on their default ports,
    and the drain the runtime uses."""
    from kakehashi.cli.services import PACKAGES
    from kakehashi.runtime.settings import DEFAULT_PORTS, Settings

    assert set(PACKAGES) == set(SERVICE_PORTS)
    assert DEFAULT_PORTS == SERVICE_PORTS
    assert Settings.model_fields["drain_timeout"].default == DRAIN_SECONDS
