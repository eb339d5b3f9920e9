#!/usr/bin/env python3
"""A remote worker of the control plane in Python, with nothing but the standard library.

It claims approved runs of the remote action types it serves (long-poll), keeps each lease alive
with a heartbeat thread, carries out each step it is handed, and reports the result, which hands
it the next step. A heartbeat answered with "stop" (the run was cancelled or timed out) or 409
lease_lost makes it drop the run without reporting.

    CONTROL_PLANE_URL=http://localhost:3000 CONTROL_PLANE_CREDENTIAL=<worker key> \\
        python3 examples/workers/deploy_worker.py

Each step "deploys" for params.ms milliseconds; params.fail = "fail" answers FAIL:requested.
"""

import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

BASE_URL = os.environ.get("CONTROL_PLANE_URL", "http://localhost:3000").rstrip("/")
CREDENTIAL = os.environ.get("CONTROL_PLANE_CREDENTIAL", "")
ACTIONS = os.environ.get("WORKER_ACTIONS", "deploy.remote").split(",")
WAIT_SECONDS = int(os.environ.get("WORKER_WAIT_SECONDS", "20"))

stopping = threading.Event()


def call(path, body):
    """POSTs JSON; returns (status, parsed body). Network errors raise."""
    request = urllib.request.Request(
        BASE_URL + path,
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={"authorization": "Bearer " + CREDENTIAL, "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=WAIT_SECONDS + 10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def carry_out(step, run):
    """One step of a run: what the user's own code does. Returns (outcome, result)."""
    params = step["input"]
    if params.get("fail") == "fail":
        return "FAIL:requested", None
    time.sleep(params.get("ms", 100) / 1000.0)
    return "OK", {"step": step["name"], "worker": "python", "pid": os.getpid()}


def work(run, lease_token, heartbeat_ms):
    run_id = run["execution_id"]
    stop = threading.Event()

    def beat():
        while not stop.wait(heartbeat_ms / 1000.0):
            try:
                status, answer = call("/api/v1/workers/runs/%s/heartbeat" % run_id, {"lease_token": lease_token})
            except OSError:
                continue  # a missed heartbeat is not fatal: the lease outlives a few
            if status == 409 or (status == 200 and answer.get("stop")):
                stop.set()

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    try:
        step = run["step"]
        while step is not None and not stop.is_set():
            try:
                outcome, result = carry_out(step, run)
                body = {"lease_token": lease_token, "outcome": outcome}
                if result is not None:
                    body["result"] = result
            except Exception as error:  # a retryable failure
                body = {"lease_token": lease_token, "error": (str(error) or "error")[:2000]}
            if stop.is_set():
                return  # cancelled, timed out or lost: the result would be refused
            index = step["index"]
            status, answer = report(run_id, index, body)
            step = answer.get("next_step") if status == 200 else None
            if status != 200:
                print("result of step %d refused: %s %s" % (index, status, answer), file=sys.stderr, flush=True)
    finally:
        stop.set()


def report(run_id, index, body):
    """Sends a result until it is answered: the same result sent again gets the same answer."""
    for attempt in range(6):
        try:
            status, answer = call("/api/v1/workers/runs/%s/steps/%d/result" % (run_id, index), body)
            if status < 500:
                return status, answer
        except OSError:
            pass
        time.sleep(min(10.0, 0.2 * 2 ** attempt))
    return 503, {}


def main():
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    print("python worker %d started" % os.getpid(), flush=True)
    backoff = 0.0
    while not stopping.is_set():
        try:
            status, answer = call(
                "/api/v1/workers/claims",
                {"action_types": ACTIONS, "max_runs": 1, "wait_seconds": WAIT_SECONDS},
            )
        except OSError as error:
            status, answer = 0, {"error": str(error)}
        if status != 200:
            print("claim answered %s: %s" % (status, answer), file=sys.stderr, flush=True)
            backoff = min(30.0, max(0.25, backoff * 2))
            stopping.wait(backoff)
            continue
        backoff = 0.0
        for run in answer["runs"]:
            work(run, answer["lease_token"], answer["heartbeat_interval_ms"])
    print("python worker %d stopped" % os.getpid(), flush=True)


if __name__ == "__main__":
    main()
