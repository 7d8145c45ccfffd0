"""Runs one measuring child process (bench/lmm_fit.py or bench/lme4_fit.R) and collects what it
prints: "key<TAB>value" lines, a key may repeat (one time_s per fit).

Each line must come within `timeout` seconds of the one before (so a fit that runs longer than
that is a timeout, however many fits came before it); then the child and everything it started
are killed and the result says status 'timeout', keeping the lines that did come."""
import os
import select
import signal
import subprocess
import tempfile
import time


class Result:
    def __init__(self):
        self.values = {}       # key -> [str, ...]
        self.status = "ok"     # ok | timeout | error
        self.message = ""

    def get(self, key, default=None):
        v = self.values.get(key)
        return v[-1] if v else default

    def floats(self, key):
        return [float(v) for v in self.values.get(key, [])]


def run(cmd, timeout, cwd=None):
    res = Result()
    errfile = tempfile.TemporaryFile()     # a file, not a pipe: a chatty child cannot block on it
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=errfile,
                            start_new_session=True)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([proc.stdout], [], [], left)
            if not ready:
                raise TimeoutError
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                key, _, value = line.decode(errors="replace").partition("\t")
                res.values.setdefault(key.strip(), []).append(value.strip())
                deadline = time.monotonic() + timeout
        code = proc.wait()
        errfile.seek(0)
        err = errfile.read().decode(errors="replace")
    except TimeoutError:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        res.status = "timeout"
        res.message = "no result within %g s" % timeout
        return res
    finally:
        proc.stdout.close()
        errfile.close()
    if "error" in res.values:
        res.status, res.message = "error", res.get("error")
    elif code != 0:
        res.status = "error"
        tail = [l for l in err.strip().splitlines() if l.strip()]
        res.message = "exit %d: %s" % (code, tail[-1] if tail else "")
    return res
