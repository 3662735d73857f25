#!/usr/bin/env python3
"""Writes a one-layer container image tar from a folder, with no daemon and no registry.

The tar is an OCI image layout (oci-layout, index.json, blobs/sha256/...) that also carries a
Docker-style manifest.json pointing at the same blobs, the layout `docker save` has written since
Docker 25. Both readers used here accept it: `ctr images import` (containerd 1.6) and Jib's
`tar://` base image, which reads manifest.json.

The layer is reproducible: entries sorted, mtime 0, owner root unless --chown maps a path to
another uid:gid, so the same folder always gives the same image digest.

    oci-image.py --rootfs DIR --ref localhost/name:tag --out image.tar \
        [--entrypoint JSON] [--cmd JSON] [--user UID:GID] [--env K=V]... [--label K=V]... \
        [--workdir DIR] [--chown PATH=UID:GID]...
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tarfile


def layer_bytes(rootfs, chown):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for parent, dirs, files in os.walk(rootfs):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                path = os.path.join(parent, name)
                rel = os.path.relpath(path, rootfs)
                info = tar.gettarinfo(path, rel)
                info.uid, info.gid = chown.get("/" + rel, (0, 0))
                info.uname = info.gname = ""
                info.mtime = 0
                if info.isfile():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rootfs", required=True)
    p.add_argument("--ref", required=True, help="image name with a tag, e.g. localhost/pause:3.10")
    p.add_argument("--out", required=True)
    p.add_argument("--entrypoint", type=json.loads)
    p.add_argument("--cmd", type=json.loads)
    p.add_argument("--user")
    p.add_argument("--workdir", default="/")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--label", action="append", default=[])
    p.add_argument("--chown", action="append", default=[], help="PATH=UID:GID inside the image")
    a = p.parse_args()
    if ":" not in a.ref.rsplit("/", 1)[-1]:
        sys.exit(f"--ref {a.ref}: needs a tag (a 'latest' or missing tag makes the kubelet try to pull)")

    chown = {}
    for spec in a.chown:
        path, ids = spec.split("=", 1)
        uid, gid = ids.split(":", 1)
        chown[path.rstrip("/") or "/"] = (int(uid), int(gid))

    layer = layer_bytes(a.rootfs, chown)
    config = {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"] + a.env, "WorkingDir": a.workdir,
              "Labels": dict(kv.split("=", 1) for kv in a.label)}
    if a.entrypoint is not None:
        config["Entrypoint"] = a.entrypoint
    if a.cmd is not None:
        config["Cmd"] = a.cmd
    if a.user:
        config["User"] = a.user
    image_config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z", "config": config,
        "rootfs": {"type": "layers", "diff_ids": [digest(layer)]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "images/oci-image.py"}],
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(image_config), "size": len(image_config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest(layer), "size": len(layer)}],
    }, sort_keys=True).encode()
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": digest(manifest), "size": len(manifest),
                       "annotations": {"io.containerd.image.name": a.ref,
                                       "org.opencontainers.image.ref.name": a.ref.rsplit(":", 1)[1]}}],
    }, sort_keys=True).encode()
    blob = lambda data: "blobs/sha256/" + digest(data).split(":", 1)[1]
    docker_manifest = json.dumps([{"Config": blob(image_config), "RepoTags": [a.ref],
                                   "Layers": [blob(layer)]}]).encode()

    tmp = a.out + ".tmp"
    with tarfile.open(tmp, "w") as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        add("manifest.json", docker_manifest)
        for data in (image_config, manifest, layer):
            add(blob(data), data)
    os.replace(tmp, a.out)
    print(f"{a.ref}: {a.out}, {len(layer) // 1024} KiB layer, config {digest(image_config)[:19]}")


if __name__ == "__main__":
    main()
