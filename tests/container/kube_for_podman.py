#!/usr/bin/env python3
"""Checks a deploy/kubernetes/ manifest the way Kubernetes would read it, then writes the copy
that `podman kube play` (4.3, Debian bookworm) runs.

The checks are on what the kubelet acts on and podman does not: respite's probes (httpGet on the
admin port), its data volume, its non-root user and read-only root, a grace period that covers
RESPITE_SHUTDOWN_TIMEOUT_MS, the app's REDIS_URL pointing at respite, and for a native sidecar
(an init container with restartPolicy Always) its startupProbe.

The copy differs from the manifest in exactly these ways:
  - a native sidecar becomes the pod's first ordinary container: podman 4.3 runs every init
    container to completion before the app starts, and respite never completes;
  - the images `respite:latest` and `my-app:latest` become the ones the test built;
  - every object, volume and secret name gets PREFIX, so the test's pods, volumes and podman
    secrets cannot meet anything else on the machine.

It also writes OUT.pod.yaml, the copy without its PersistentVolumeClaims: what a rescheduled pod
meets (the claim stays bound to its volume), which podman can play again while the claim's volume
exists (it refuses to create that volume twice).

usage: kube_for_podman.py MANIFEST OUT.yaml PREFIX RESPITE_IMAGE APP_IMAGE
Prints one line per probe of respite, `KIND PATH PORT` (KIND: startup, liveness, readiness), and
`grace SECONDS` (podman 4.3 ignores terminationGracePeriodSeconds: the test stops with it).
"""
import sys

import yaml

DATA_DIR = "/var/lib/respite/data"
DEFAULT_SHUTDOWN_MS = 5000


def fail(manifest, why):
    sys.exit(f"{manifest}: {why}")


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def check_pod(manifest, spec):
    """Checks the pod spec; returns respite's container and whether it is a native sidecar."""
    init = spec.get("initContainers", [])
    native = [c for c in init if c.get("name") == "respite"]
    plain = [c for c in spec.get("containers", []) if c.get("name") == "respite"]
    if len(native) + len(plain) != 1:
        fail(manifest, "expected exactly one container named respite")
    respite = (native or plain)[0]
    if native:
        if respite.get("restartPolicy") != "Always":
            fail(manifest, "respite as an init container needs restartPolicy: Always (a sidecar)")
        if "startupProbe" not in respite:
            fail(manifest, "a native sidecar needs a startupProbe: the app starts once it passes")
    env = env_of(respite)
    admin_port = int(env.get("RESPITE_ADMIN", "0.0.0.0:9121").rsplit(":", 1)[1])
    for kind in ("liveness", "readiness"):
        if f"{kind}Probe" not in respite:
            fail(manifest, f"respite has no {kind}Probe")
    for kind in ("startup", "liveness", "readiness"):
        probe = respite.get(f"{kind}Probe")
        if probe is None:
            continue
        get = probe.get("httpGet")
        if not get or get.get("port") != admin_port:
            fail(manifest, f"respite's {kind}Probe is not an httpGet on its admin port {admin_port}")
    mounts = {m["mountPath"]: m["name"] for m in respite.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    if mounts.get(DATA_DIR) not in volumes:
        fail(manifest, f"respite's {DATA_DIR} is not on a pod volume")
    security = respite.get("securityContext", {})
    if not security.get("runAsNonRoot") or security.get("runAsUser") != 10001:
        fail(manifest, "respite should run as non-root uid 10001 (the image's user)")
    if not security.get("readOnlyRootFilesystem"):
        fail(manifest, "respite should run on a read-only root file system")
    if spec.get("securityContext", {}).get("fsGroup") != 10001:
        fail(manifest, "fsGroup 10001 keeps a fresh volume writable by respite")
    shutdown_ms = int(env.get("RESPITE_SHUTDOWN_TIMEOUT_MS") or DEFAULT_SHUTDOWN_MS)
    grace_s = spec.get("terminationGracePeriodSeconds", 30)
    # respite's own stop, plus room for the app's (and the kubelet's) before it.
    if grace_s * 1000 < shutdown_ms + 5000:
        fail(manifest, f"terminationGracePeriodSeconds {grace_s} does not cover the "
                       f"{shutdown_ms} ms shutdown timeout and the app's stop")
    listen = env.get("RESPITE_LISTEN", "0.0.0.0:6380")
    port = listen.rsplit(":", 1)[1]
    apps = [c for c in spec.get("containers", []) if c.get("name") != "respite"]
    for app in apps:
        url = env_of(app).get("REDIS_URL", "")
        if not url.endswith(f":{port}"):
            fail(manifest, f"{app['name']}'s REDIS_URL {url!r} does not point at respite's {listen}")
    return respite, bool(native)


def rename(doc, prefix, images):
    doc["metadata"]["name"] = prefix + doc["metadata"]["name"]
    if doc["kind"] != "Deployment" and doc["kind"] != "Pod":
        return
    spec = doc["spec"]["template"]["spec"] if doc["kind"] == "Deployment" else doc["spec"]
    for volume in spec.get("volumes", []):
        volume["name"] = prefix + volume["name"]
        claim = volume.get("persistentVolumeClaim")
        if claim:
            claim["claimName"] = prefix + claim["claimName"]
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        container["image"] = images.get(container["image"], container["image"])
        for mount in container.get("volumeMounts", []):
            mount["name"] = prefix + mount["name"]
        for e in container.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                ref["name"] = prefix + ref["name"]


def main():
    manifest, out, prefix, respite_image, app_image = sys.argv[1:6]
    with open(manifest) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    workloads = [d for d in docs if d["kind"] in ("Deployment", "Pod")]
    if len(workloads) != 1:
        fail(manifest, "expected one Deployment or Pod")
    workload = workloads[0]
    spec = workload["spec"]["template"]["spec"] if workload["kind"] == "Deployment" else workload["spec"]
    respite, native = check_pod(manifest, spec)
    claims = {d["metadata"]["name"] for d in docs if d["kind"] == "PersistentVolumeClaim"}
    for volume in spec.get("volumes", []):
        claim = volume.get("persistentVolumeClaim")
        if claim and claim["claimName"] not in claims:
            fail(manifest, f"volume {volume['name']} names a claim the manifest does not define")
    if native:
        spec["initContainers"] = [c for c in spec["initContainers"] if c is not respite]
        if not spec["initContainers"]:
            del spec["initContainers"]
        del respite["restartPolicy"]
        spec["containers"].insert(0, respite)
    for doc in docs:
        rename(doc, prefix, {"respite:latest": respite_image, "my-app:latest": app_image})
    with open(out, "w") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)
    with open(out.removesuffix(".yaml") + ".pod.yaml", "w") as f:
        yaml.safe_dump_all([d for d in docs if d["kind"] != "PersistentVolumeClaim"], f,
                           sort_keys=False)
    for kind in ("startup", "liveness", "readiness"):
        probe = respite.get(f"{kind}Probe")
        if probe:
            print(kind, probe["httpGet"]["path"], probe["httpGet"]["port"])
    print("grace", spec.get("terminationGracePeriodSeconds", 30))


if __name__ == "__main__":
    main()
