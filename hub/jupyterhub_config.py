# JupyterHub configuration of the aelab course: the hub `make hub-test` starts (tests/test_hub.py),
# and the starting point a school edits for a real deployment (docs/instructor.md, "Running the
# class on a JupyterHub", says what to change).
#
#   AELAB_HUB_DIR=/srv/aelab-hub AELAB_HUB_PASSWORD=... .venv/bin/jupyterhub -f hub/jupyterhub_config.py
#
# What it sets up, on this machine only (127.0.0.1):
# - login: one shared password for every student (JupyterHub's SharedPasswordAuthenticator, the
#   successor of DummyAuthenticator's password), from $AELAB_HUB_PASSWORD;
# - servers: SimpleLocalProcessSpawner, each student's JupyterLab a local process in a home folder
#   of its own under $AELAB_HUB_DIR/home/<name>, started with the same server settings as
#   `make lab` (aelab.lab_server) and opening the PyTorch track's lesson 00; on first start the
#   home gets the student versions of the lessons (pytorch/, keras/; no solutions/);
# - nbgrader's exchange in $AELAB_HUB_DIR/exchange (hub/student/nbgrader_config.py is the
#   students' nbgrader configuration; the instructor passes --Exchange.root to nbgrader);
# - the proxy: configurable-http-proxy from hub/node_modules (`npm ci` in hub/, which
#   `make hub-test` runs; it needs node and npm).
# The simple spawner runs every student's server as the hub's own unix user: fine for a test and
# a trial, no isolation between students. A school uses its own login and DockerSpawner or
# KubeSpawner instead (docs/instructor.md).
import os
import shutil
import sys
import tempfile
from pathlib import Path

c = get_config()  # noqa: F821

HUB = Path(__file__).resolve().parent
ROOT = HUB.parent
sys.path.insert(0, str(ROOT))
from aelab.lab_server import SERVER_FLAGS  # noqa: E402

# Everything the hub writes: its database, cookie secret, the students' homes, the exchange.
STATE = Path(os.environ.get("AELAB_HUB_DIR") or tempfile.mkdtemp(prefix="aelab-hub-"))
STATE.mkdir(parents=True, exist_ok=True)
# nbgrader's exchange: every student writes submissions into it (readable and writable by all,
# as nbgrader's documentation sets it up).
EXCHANGE = STATE / "exchange"
EXCHANGE.mkdir(exist_ok=True)
EXCHANGE.chmod(0o777)
COURSE_ID = os.environ.get("AELAB_COURSE_ID", "aelab-pytorch")   # the course `make assignments` writes
TRACK = os.environ.get("AELAB_TRACK", "pytorch")                # the track JupyterLab opens on

PASSWORD = os.environ.get("AELAB_HUB_PASSWORD", "")
if len(PASSWORD) < 8:
    raise ValueError("set AELAB_HUB_PASSWORD to the students' shared password (8 characters or "
                     "more) before starting the hub")
PROXY = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
if not PROXY.exists():
    raise FileNotFoundError(f"JupyterHub's proxy is not installed at {PROXY}: run `npm ci` in "
                            f"{HUB} (node and npm needed) or `make hub-test`")

# The hub, its proxy and its API on this machine only.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = 8000
c.JupyterHub.hub_ip = "127.0.0.1"
c.ConfigurableHTTPProxy.command = [str(PROXY)]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")

# Login: any user name with the shared password (a school replaces this, docs/instructor.md).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = PASSWORD
c.Authenticator.allow_all = True

# Each student's server: a local process in its own home folder, run as `make lab` runs JupyterLab.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.args = [*SERVER_FLAGS, *(["--allow-root"] if os.geteuid() == 0 else [])]
c.Spawner.default_url = f"/lab/tree/{TRACK}/00_welcome.ipynb"
c.Spawner.environment = {
    # one thread per kernel: about a core per student (docs/instructor.md, sizing)
    "AELAB_THREADS": "1", "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
    # the students' nbgrader settings: the exchange, the course id, who submits
    "JUPYTER_CONFIG_PATH": str(HUB / "student"),
    "AELAB_EXCHANGE": str(EXCHANGE), "AELAB_COURSE_ID": COURSE_ID,
}
# Kept from the hub's environment: where Python and aelab are, and AELAB_QUICK (=1: every lesson
# in quick mode, for a demonstration or a hub too small for full mode).
c.Spawner.env_keep = ["PATH", "PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL", "JUPYTERHUB_SINGLEUSER_APP",
                      "AELAB_QUICK"]
# time for a server to start on a busy machine (a class logging in together)
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180


def copy_lessons(spawner):
    """First start: the student versions of the lessons into the student's home (never over a
    file that is there: the student's own work is kept)."""
    home = Path(spawner.home_dir)
    for track in ("pytorch", "keras"):
        (home / track).mkdir(parents=True, exist_ok=True)
        for notebook in sorted((ROOT / "notebooks" / track).glob("*.ipynb")):
            if not (home / track / notebook.name).exists():
                shutil.copy(notebook, home / track / notebook.name)


c.Spawner.pre_spawn_hook = copy_lessons
