"""The training queue: one job at a time per server, each in its own worker process.

A job runs core.training.train in a process started with multiprocessing's "spawn" context, so a crash or
an out-of-memory kill there ends that process only; the app reads the job's progress events (loss, eval
metrics, steps) from a queue and keeps the job's status for the page to poll. Jobs wait in line with a
position; a queued job is cancelled at once, a running one at its next step (its callback checks a flag),
and terminated when it does not stop soon after. No gradio, and nothing heavy imported here: the worker
process imports torch, datasets and transformers itself.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import queue as queue_module
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import limits
from core.errors import UserError, explain
from core.settings import Settings

MAX_WAITING = 8          # queued jobs, at most
KEEP_FINISHED = 50       # finished jobs whose status stays readable
STOP_GRACE_S = 15.0      # a cancelled job that does not stop within this is terminated
LOAD_GRACE_S = 300.0     # beyond the training time limit: loading, evaluating and saving


def worker_main(jobs, events, cancel) -> None:
    """The worker process: import what training needs, wait for one request on `jobs` (a pipe), train, sending
    every event to `events`; the last event is "end". A process started ahead of its job (the queue's standby)
    has done its imports by the time the job comes."""
    from core.settings import quiet_environment

    quiet_environment()
    request: dict = {}
    try:
        from core import training

        training.warm()
        try:
            request = jobs.recv()
        except (EOFError, OSError):  # the queue no longer needs this standby
            return
        with limits.active(request["limits"]):
            result = training.train(request, events.put, cancel.is_set)
        events.put({"type": "cancelled"} if result.get("cancelled") else {"type": "result", "result": result})
    except BaseException as exc:  # every failure travels to the parent as one line
        err = explain(exc, model=request.get("model", ""), task="text-classification")
        events.put({"type": "error", "key": err.key, "params": {k: str(v) for k, v in err.params.items()}})
    finally:
        events.put({"type": "end"})
        events.close()
        events.join_thread()


@dataclass
class Job:
    id: str
    request: dict
    state: str = "queued"
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    epoch: float = 0.0
    step: int = 0
    total_steps: int = 0
    elapsed: float = 0.0
    loss: list = field(default_factory=list)
    evals: list = field(default_factory=list)
    data: dict | None = None
    result: dict | None = None
    error: UserError | None = None
    cancel_requested: bool = False


class TrainingQueue:
    """One per server (the ModelManager owns it). submit() checks a request and queues it; a runner thread
    trains the jobs one after another, each in a spawned worker process."""

    def __init__(self, settings: Settings, *, source=None, roots=None, on_done=None, max_waiting: int = MAX_WAITING):
        self.settings = settings
        self.source = source  # model text -> (ModelRef, from_pretrained source); ModelManager.source_of
        self.roots = roots    # () -> the folders data paths may lie in (None: any)
        self.on_done = on_done
        self.max_waiting = max_waiting
        self._jobs: collections.OrderedDict[str, Job] = collections.OrderedDict()
        self._waiting: collections.deque[str] = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._runner: threading.Thread | None = None
        self._current: tuple[Job, Any, Any] | None = None  # (job, process, cancel event)
        self._standby: tuple | None = None  # a worker process started ahead of the next job (imports done)

    # ---- the public API ---------------------------------------------------------------------------
    def check(self, request: dict) -> tuple[dict, Any]:
        """(the request the worker gets, the checked TrainData); UserError on anything wrong with it."""
        from core import training

        if not self.settings.training:
            raise UserError("training_off")
        task = request.get("task") or training.TASK
        if task not in (training.TASK, "sentiment-analysis"):
            raise UserError("bad_param", name="task", detail=f"training takes {training.TASK}")
        with limits.active(self.settings.limits):
            params = training.PARAMS.parse(request.get("params") or {})
            model = request.get("model") or ""
            if self.source is None:
                raise UserError("no_model")
            ref, source = self.source(model)
            training.check_base_model(source, ref.display)
            name = request.get("name") or f"{Path(ref.name).name}-{time.strftime('%Y%m%d-%H%M%S')}"
            out = request.get("output_dir") or training.output_dir(self.settings.trained_dir, name)
            data = training.prepare_data(
                request.get("data") or "", eval=request.get("eval") or None,
                text_column=request.get("text_column") or "text", text_pair_column=request.get("text_pair_column"),
                label_column=request.get("label_column") or "label", split=request.get("split") or None,
                eval_split=request.get("eval_split") or None, eval_percent=params["eval_percent"],
                seed=params["seed"], offline=self.settings.offline,
                allowed_roots=self.roots() if self.roots is not None else None)
        lim = self.settings.limits
        job_request = {**{k: data.spec[k] for k in ("data", "eval", "split", "eval_split", "text_column",
                                                    "text_pair_column", "label_column")},
                       "model": ref.display, "source": source, "params": params, "output_dir": str(out),
                       "offline": self.settings.offline, "use_cpu": self._use_cpu(),
                       "max_seconds": lim.train_seconds, "limits": lim}
        return job_request, data

    def submit(self, request: dict) -> str:
        """Check request (task, model, data spec: data, eval, split, eval_split, text_column, text_pair_column,
        label_column; params; name of the output folder under the trained-models folder) and queue it; returns
        the job id. Bad requests raise UserError at once."""
        job_request, _ = self.check(request)
        with self._lock:
            if len(self._waiting) >= self.max_waiting:
                raise UserError("train_queue_full", count=len(self._waiting))
            job = Job(uuid.uuid4().hex[:12], job_request)
            self._jobs[job.id] = job
            self._waiting.append(job.id)
            self._forget_old()
            if self._runner is None or not self._runner.is_alive():
                self._runner = threading.Thread(target=self._run_jobs, name="training", daemon=True)
                self._runner.start()
            self._wake.notify_all()
        return job.id

    def status(self, job_id: str) -> dict:
        """The job's state (queued, running, done, failed, cancelled), its queue position (1: next to run; 0
        when not waiting), progress (epoch, step, total_steps, eta_s), the loss curve [(step, loss)], the eval
        metrics per epoch, the result when done and the error line when failed."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise UserError("train_unknown_job", job=str(job_id)[:40])
            position = self._waiting.index(job_id) + 1 if job_id in self._waiting else 0
            eta = None
            if job.state == "running" and job.step > 0 and job.total_steps:
                eta = round(job.elapsed / job.step * max(0, job.total_steps - job.step), 1)
            return {"id": job.id, "state": job.state, "position": position, "epoch": round(job.epoch, 3),
                    "step": job.step, "total_steps": job.total_steps, "eta_s": eta, "loss": list(job.loss),
                    "eval": list(job.evals), "data": job.data, "result": job.result,
                    "error": job.error.text() if job.error else None, "model": job.request["model"]}

    def error(self, job_id: str) -> UserError | None:
        """The failed job's UserError (for a message in the reader's language)."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job.error if job else None

    def cancel(self, job_id: str) -> None:
        """Cancel a queued job at once, a running one at its next step (terminated if it does not stop)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise UserError("train_unknown_job", job=str(job_id)[:40])
            if job.state == "queued":
                self._waiting.remove(job_id)
                job.state = "cancelled"
            elif job.state == "running":
                job.cancel_requested = True
                if self._current and self._current[0] is job:
                    self._current[2].set()

    def jobs(self) -> list[dict]:
        """Every known job's id, state and position, oldest first."""
        with self._lock:
            ids = list(self._jobs)
        return [{k: v for k, v in self.status(i).items() if k in ("id", "state", "position", "model")} for i in ids]

    def wait(self, job_id: str, timeout: float | None = None) -> dict:
        """Block until the job has finished (or timeout); returns its status."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.status(job_id)
            if status["state"] in ("done", "failed", "cancelled"):
                return status
            if end is not None and time.monotonic() > end:
                return status
            time.sleep(0.2)

    # ---- the runner ----------------------------------------------------------------------------------
    def _use_cpu(self) -> bool:
        return self.settings.device in ("cpu", "auto") and not _has_gpu(self.settings.device)

    def _forget_old(self) -> None:
        finished = [i for i, j in self._jobs.items() if j.state in ("done", "failed", "cancelled")]
        for job_id in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job_id]

    def _run_jobs(self) -> None:
        while True:
            with self._lock:
                while not self._waiting:
                    self._wake.wait(timeout=60)
                    if not self._waiting:
                        self._runner = None
                        self._drop_standby()
                        return
                job = self._jobs[self._waiting.popleft()]
                job.state, job.started = "running", time.monotonic()
            try:
                self._run_one(job)
            except Exception as exc:  # the runner itself must survive anything a job does
                with self._lock:
                    job.state, job.error = "failed", explain(exc, model=job.request["model"])
            self._finish(job)

    def _finish(self, job: Job) -> None:
        """A job that sent its result is done after on_done (the model pickers' refresh) has run."""
        if job.state != "running" or job.result is None:
            return
        if self.on_done is not None:
            try:
                self.on_done(job.result)
            except Exception:  # a refresh of the model list is not the job's failure
                pass
        with self._lock:
            job.state = "done"

    def _spawn(self) -> tuple:
        """A new worker process, started: (process, events, cancel, the pipe its job goes down)."""
        ctx = multiprocessing.get_context("spawn")
        events, cancel = ctx.Queue(), ctx.Event()
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=worker_main, args=(receive, events, cancel), name="training-worker", daemon=True)
        process.start()
        receive.close()
        return process, events, cancel, send

    def _drop_standby(self) -> None:
        standby, self._standby = self._standby, None
        if standby is not None:
            standby[3].close()  # the standby sees EOF and ends
            standby[1].close()
            standby[0].join(timeout=5)
            if standby[0].is_alive():
                standby[0].terminate()

    def _run_one(self, job: Job) -> None:
        standby, self._standby = self._standby, None
        if standby is not None and not standby[0].is_alive():
            standby = None
        process, events, cancel, send = standby or self._spawn()
        with self._lock:
            self._current = (job, process, cancel)
            if job.cancel_requested:
                cancel.set()
            more = bool(self._waiting)
        try:
            send.send(job.request)
        except OSError:  # it died while waiting: the loop below reports how
            pass
        if more:  # the next job's process does its imports while this one trains
            self._standby = self._spawn()
        ended = False
        cancel_at = None
        limit = job.request["max_seconds"] + LOAD_GRACE_S
        try:
            while not ended:
                try:
                    event = events.get(timeout=0.5)
                except queue_module.Empty:
                    event = None
                    if not process.is_alive():
                        try:  # what it sent just before it ended
                            event = events.get(timeout=1.0)
                        except queue_module.Empty:
                            break
                if event is not None:
                    ended = self._apply(job, event)
                now = time.monotonic()
                if job.cancel_requested and cancel_at is None:
                    cancel_at = now
                if cancel_at is not None and now - cancel_at > STOP_GRACE_S and process.is_alive():
                    process.terminate()
                    with self._lock:
                        job.state = "cancelled"
                    break
                if now - job.started > limit and process.is_alive():
                    process.terminate()
                    with self._lock:
                        job.state, job.error = "failed", UserError("train_time", seconds=f"{job.request['max_seconds']:g}")
                    break
        finally:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join(timeout=10)
            with self._lock:
                self._current = None
                if job.state == "running" and job.result is None:  # the process ended without a result
                    if job.cancel_requested:
                        job.state = "cancelled"
                    else:
                        code = process.exitcode
                        detail = ("killed, most likely out of memory" if code in (-9, 137)
                                  else f"exit code {code}")
                        job.state, job.error = "failed", UserError("train_crashed", detail=detail)
            events.close()
            send.close()

    def _apply(self, job: Job, event: dict) -> bool:
        """Apply one event to the job; True at the last event."""
        kind = event.get("type")
        with self._lock:
            if kind == "progress":
                job.step, job.total_steps = event["step"], event["total_steps"]
                job.epoch, job.elapsed = event["epoch"], event["elapsed"]
            elif kind == "loss":
                job.loss.append((event["step"], round(event["loss"], 5)))
            elif kind == "eval":
                job.evals.append({k: v for k, v in event.items() if k != "type"})
            elif kind == "data":
                job.data = {k: v for k, v in event.items() if k != "type"}
            elif kind == "result":  # "done" once the model lists know of it (_finish)
                job.result = event["result"]
            elif kind == "cancelled":
                job.state = "cancelled"
            elif kind == "error":
                job.state, job.error = "failed", UserError(event["key"], **event["params"])
            return kind == "end"


def _has_gpu(device: str) -> bool:
    if device == "cpu":
        return False
    if os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        return False
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False
