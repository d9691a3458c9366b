"""deploy/k8s/: every manifest parsed with PyYAML and checked for what a cluster would need and
what security expects (no cluster): identity fields, images, resources, probes, non-root,
secrets referenced rather than inlined, references that resolve, nothing but nginx exposed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
NAMESPACE = "carebot"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|SECRET|_KEY)$")
PLACEHOLDER = "REPLACE_ME"


def load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def kustomization() -> dict[str, Any]:
    [doc] = load(K8S / "kustomization.yaml")
    return doc


def applied() -> list[dict[str, Any]]:
    """Every object `kubectl apply -k deploy/k8s` creates."""
    return [d for f in kustomization()["resources"] for d in load(K8S / f)]


def examples() -> list[dict[str, Any]]:
    return load(K8S / "secret.example.yaml")


def workloads() -> list[dict[str, Any]]:
    return [d for d in applied() if d["kind"] in WORKLOADS]


def containers(workload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def ids(docs: list[dict[str, Any]]) -> list[str]:
    return [f"{d['kind']}/{d['metadata']['name']}" for d in docs]


def test_kustomization_lists_every_manifest() -> None:
    k = kustomization()
    assert k["apiVersion"].startswith("kustomize.config.k8s.io/")
    assert k["namespace"] == NAMESPACE
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(k["resources"]) == on_disk
    assert all((K8S / f).is_file() for f in k["resources"])


@pytest.mark.parametrize("doc", applied() + examples(), ids=ids(applied() + examples()))
def test_identity(doc: dict[str, Any]) -> None:
    assert isinstance(doc.get("apiVersion"), str) and doc["apiVersion"]
    assert isinstance(doc.get("kind"), str) and doc["kind"]
    name = doc["metadata"]["name"]
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) and len(name) <= 63, name
    if doc["kind"] != "Namespace":
        assert doc["metadata"].get("namespace") == NAMESPACE
    expected = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "Service": "v1",
                "ConfigMap": "v1", "Secret": "v1", "Namespace": "v1",
                "NetworkPolicy": "networking.k8s.io/v1"}
    assert doc["apiVersion"] == expected[doc["kind"]]


def test_no_secret_is_applied_and_the_example_holds_placeholders_only() -> None:
    assert not [d for d in applied() if d["kind"] == "Secret"], "Secrets are created, not applied"
    for doc in examples():
        assert doc["kind"] == "Secret"
        values = {**doc.get("stringData", {}), **doc.get("data", {})}
        assert values and all(v == PLACEHOLDER for v in values.values()), doc["metadata"]["name"]


@pytest.mark.parametrize("workload", workloads(), ids=ids(workloads()))
def test_workload_schema(workload: dict[str, Any]) -> None:
    spec = workload["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
    pod = spec["template"]["spec"]
    pod_security = pod.get("securityContext", {})
    assert pod.get("automountServiceAccountToken") is False
    for c in containers(workload):
        where = f"{workload['metadata']['name']}/{c['name']}"
        assert isinstance(c.get("image"), str) and c["image"], where
        assert not c["image"].endswith(":latest"), where
        res = c.get("resources", {})
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(res.get(kind, {})), f"{where}: resources.{kind}"
        assert "livenessProbe" in c and "readinessProbe" in c, f"{where}: probes"
        port_names = {p.get("name") for p in c.get("ports", [])}
        port_numbers = {p["containerPort"] for p in c.get("ports", [])}
        for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
            probe = c.get(probe_name)
            if probe and "httpGet" in probe:
                port = probe["httpGet"]["port"]
                assert port in port_names | port_numbers, f"{where}: {probe_name} port {port}"
        security = {**pod_security, **c.get("securityContext", {})}
        assert security.get("runAsNonRoot") is True, f"{where}: runAsNonRoot"
        assert security.get("runAsUser", 0) != 0, f"{where}: runAsUser"
        assert security.get("allowPrivilegeEscalation") is False, where
        assert "ALL" in security.get("capabilities", {}).get("drop", []), where
        assert not security.get("privileged", False), where
        # verified with podman --read-only for every carebot role (docs/deploy.md)
        assert security.get("readOnlyRootFilesystem") is True, f"{where}: read-only root"


def test_secrets_are_referenced_never_inlined() -> None:
    secret_keys = {d["metadata"]["name"]: set(d.get("stringData", {})) for d in examples()}
    for workload in workloads():
        for c in containers(workload):
            where = f"{workload['metadata']['name']}/{c['name']}"
            for env in c.get("env", []):
                if SECRET_NAME.search(env["name"]):
                    assert "value" not in env, f"{where}: {env['name']} inlined"
                    ref = env["valueFrom"]["secretKeyRef"]
                    assert ref["key"] in secret_keys[ref["name"]], f"{where}: {ref}"
                if "value" in env and "redis://" in env["value"]:
                    assert "$(REDIS_PASSWORD)" in env["value"], f"{where}: password in REDIS_URL"
            for source in c.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secret_keys, where
    for cm in (d for d in applied() if d["kind"] == "ConfigMap"):
        for key, value in cm.get("data", {}).items():
            assert not SECRET_NAME.search(key), f"ConfigMap {cm['metadata']['name']}: {key}"
            assert not re.search(r"redis://:[^$@]+@", str(value)), key


def test_references_resolve() -> None:
    docs = applied()
    configmaps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    for workload in workloads():
        pod = workload["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        claims = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        for c in containers(workload):
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps
            for mount in c.get("volumeMounts", []):
                assert mount["name"] in volumes or mount["name"] in claims, mount
        for volume in volumes.values():
            if "configMap" in volume:
                cm = configmaps[volume["configMap"]["name"]]
                for item in volume["configMap"].get("items", []):
                    assert item["key"] in cm["data"], item


def pod_labels() -> list[tuple[dict[str, str], dict[str, Any]]]:
    return [(w["spec"]["template"]["metadata"]["labels"], w) for w in workloads()]


def test_services_select_pods_and_ports() -> None:
    for svc in (d for d in applied() if d["kind"] == "Service"):
        selector = svc["spec"]["selector"]
        matches = [w for labels, w in pod_labels() if selector.items() <= labels.items()]
        assert len(matches) == 1, svc["metadata"]["name"]
        ports = {p.get("name") for c in containers(matches[0]) for p in c.get("ports", [])}
        numbers = {p["containerPort"] for c in containers(matches[0]) for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            assert port.get("targetPort", port["port"]) in ports | numbers, port


def test_only_nginx_is_exposed() -> None:
    for svc in (d for d in applied() if d["kind"] == "Service"):
        exposed = svc["spec"].get("type", "ClusterIP") in ("LoadBalancer", "NodePort")
        component = svc["spec"]["selector"].get("app.kubernetes.io/component")
        if exposed:
            assert component == "nginx", svc["metadata"]["name"]
            assert [p["targetPort"] for p in svc["spec"]["ports"]] == ["public"]


def test_nginx_upstream_matches_the_statefulset() -> None:
    [sts] = [w for w in workloads() if w["kind"] == "StatefulSet"]
    [headless] = [d for d in applied() if d["kind"] == "Service"
                  and d["metadata"]["name"] == sts["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None"
    [cm] = [d for d in applied() if d["kind"] == "ConfigMap"
            and d["metadata"]["name"] == "carebot-nginx"]
    servers = re.findall(r"server (\S+):5005", cm["data"]["nginx.conf"])
    name = sts["metadata"]["name"]
    expected = {f"{name}-{i}.{headless['metadata']['name']}.{NAMESPACE}.svc.cluster.local"
                for i in range(sts["spec"]["replicas"])}
    assert set(servers) == expected


def test_rollout_waits_for_every_rasa_pod() -> None:
    """``carebot train --reload`` waits for each pod of the StatefulSet (not only the one
    nginx's API server reaches), and every pod pulls from the workspace's model server."""
    [sts] = [w for w in workloads() if w["kind"] == "StatefulSet"]
    [cm] = [d for d in applied() if d["kind"] == "ConfigMap"
            and d["metadata"]["name"] == "carebot-config"]
    name, service = sts["metadata"]["name"], sts["spec"]["serviceName"]
    urls = cm["data"]["CAREBOT_RASA_INSTANCE_URLS"].split(",")
    assert urls == [f"http://{name}-{i}.{service}.{NAMESPACE}.svc.cluster.local:5005"
                    for i in range(sts["spec"]["replicas"])]
    [workspace] = [d for d in applied() if d["kind"] == "Service"
                   and d["metadata"]["name"] == "carebot-workspace"]
    port = workspace["spec"]["ports"][0]["port"]
    assert cm["data"]["CAREBOT_MODEL_SERVER_URL"] == (
        f"http://carebot-workspace.{NAMESPACE}.svc.cluster.local:{port}/internal/model")


def _ingress_from(policy_for: str, port: int) -> set[str]:
    """Components whose pods the NetworkPolicy of ``policy_for`` lets in on ``port``."""
    allowed: set[str] = set()
    for doc in applied():
        if doc["kind"] != "NetworkPolicy":
            continue
        selected = doc["spec"]["podSelector"]["matchLabels"]
        if selected.get("app.kubernetes.io/component") != policy_for:
            continue
        for rule in doc["spec"].get("ingress", []):
            if any(p.get("port") == port for p in rule.get("ports", [])):
                allowed |= {peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
                            for peer in rule.get("from", []) if "podSelector" in peer}
    return allowed


def test_network_policies_let_the_model_flow() -> None:
    """Rasa pods pull the model from the workspace (:8000), the workspace asks each Rasa pod
    which model it has (:5005); nothing else reaches them but nginx."""
    assert _ingress_from("workspace", 8000) == {"nginx", "rasa"}
    assert _ingress_from("rasa", 5005) == {"nginx", "workspace"}


def test_rasa_always_has_a_token_and_no_public_port() -> None:
    [sts] = [w for w in workloads() if w["kind"] == "StatefulSet"]
    [rasa] = [c for c in containers(sts) if c["name"] == "rasa"]
    command = " ".join(rasa.get("command", []) + rasa.get("args", []))
    assert "exec python -m bot.rasa_ext.serve run" in command  # patches + the token, in-process
    assert "--auth-token" not in command  # never on a command line
    assert "carebot endpoints" in command


def test_nginx_configmap_is_valid(tmp_path: Path) -> None:
    """The ConfigMap's files, laid out as the Deployment mounts them, pass `nginx -t` (service
    names pointed at localhost; `resolve`, which needs nginx >= 1.27.3, dropped)."""
    [cm] = [d for d in applied() if d["kind"] == "ConfigMap"
            and d["metadata"]["name"] == "carebot-nginx"]
    (tmp_path / "carebot").mkdir()
    for key, text in cm["data"].items():
        target = tmp_path / ("nginx.conf" if key == "nginx.conf" else f"carebot/{key}")
        if key == "nginx.conf":
            text = re.sub(r"server \S+\.svc\.cluster\.local:", "server 127.0.0.1:", text)
            text = re.sub(r"\n\s*resolver [^\n]*", "", text).replace(" resolve", "")
            text = text.replace("/tmp/", f"{tmp_path}/").replace("/dev/stderr", "stderr")
        target.write_text(text)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    run = subprocess.run([nginx, "-e", "stderr", "-t", "-p", str(tmp_path), "-c",
                          str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
