"""Start-up work gradio 6.31.0 repeats or does before anyone needs it, done once or when first needed. Each
patch gives gradio's own result (tests/test_startup_patches.py compares them) and applies only to the release
whose code it mirrors. Called by core.ui (gradio is imported inside, so importing this module never loads it).

Per block (~1000 here): gradio resolves its upload folder's path on the disk and reads the constructor's
argument spec each time it builds one, and computes each data model's JSON schema once per component.
Per app: the Blocks builds its server app when created and again when its `with` ends, and computes the
page's config twice there and twice more in launch(), though launch() builds the server app that serves; the
config and app of a `with` are made when first read now, and launch() computes the config once.
Per page load: gradio rebuilds the whole page for each GET /; PageCache makes it once per root URL and user.
Besides the patches, few_collections() keeps Python's cycle collector out of the way while the app starts.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import os
import tempfile
import threading

RELEASE = "6.31.0"
_installed = False
_PENDING = object()  # a Blocks' config or app not made yet


@contextlib.contextmanager
def few_collections(freeze: bool = True):
    """Python's cycle collector seldom while the app starts: importing gradio and building ~1400 blocks make
    millions of objects and few cycles, and the collector, run every 700 allocations, spent ~0.7 s of CPU (a
    tenth of the start-up) walking them (RSS the same, 222 MB). After: the usual thresholds, and with freeze
    what start-up made is moved out of the collector's way (gc.freeze), so a later full collection during a
    request does not walk it again."""
    import gc

    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 50, 50)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if freeze:
            gc.freeze()


def install() -> bool:
    """Apply the patches (once). False when gradio is not the release they mirror."""
    global _installed
    import gradio as gr

    if gr.__version__ != RELEASE:
        return False
    if not _installed:
        _installed = True
        _upload_folder_once()
        _argspecs_once()
        _schemas_once()
        _server_fns_once()
        _styler_when_pandas_has_one()
        _block_config_quicker()
        _lazy_config_and_app()
        _config_once_in_launch()
        _pages_cached()
    return True


# ---- per block ---------------------------------------------------------------------------------------------
def _upload_folder_once() -> None:
    """Block.__init__ and every example file's move_files_to_cache call get_upload_folder(), a Path.resolve()
    (a few lstat calls) of the same folder."""
    from gradio import blocks, processing_utils, utils

    original = utils.get_upload_folder

    @functools.lru_cache(maxsize=8)
    def resolved(tmp: str) -> str:  # the folder for this temporary directory
        return original()

    def get_upload_folder() -> str:
        return os.environ.get("GRADIO_TEMP_DIR") or resolved(tempfile.gettempdir())

    get_upload_folder.original = original
    blocks.get_upload_folder = get_upload_folder
    processing_utils.get_upload_folder = get_upload_folder


def _updateable(fn):
    """gradio.component_meta.updateable with the argument names read once (it read them on every call)."""
    from gradio.component_meta import get_local_contexts

    fn_args = inspect.getfullargspec(fn).args

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        self = args[0]
        initialized_before = hasattr(self, "_constructor_args")
        if not initialized_before:
            self._constructor_args = []
        for i, arg in enumerate(args):
            if i == 0 or i >= len(fn_args):
                continue
            kwargs[fn_args[i]] = arg
        self._constructor_args.append(kwargs)
        in_event_listener, is_render = get_local_contexts()
        if in_event_listener and initialized_before and not is_render:
            return None
        return fn(self, **kwargs)

    return wrapper


def _argspecs_once() -> None:
    """Every component class's __init__, wrapped by gradio's `updateable`, rewrapped by _updateable (classes
    defined later, e.g. custom components, keep gradio's wrapper)."""
    from gradio.component_meta import ComponentMeta

    classes = [c for c in _subclasses() if isinstance(c, ComponentMeta)]
    for cls in classes:
        init = cls.__dict__.get("__init__")
        fn = getattr(init, "__wrapped__", None)
        if fn is None or getattr(init, "_args_once", False):
            continue
        wrapper = _updateable(fn)
        wrapper._args_once = True
        if "__signature__" in init.__dict__:
            wrapper.__signature__ = init.__signature__
        cls.__init__ = wrapper


def _subclasses() -> list[type]:
    import gradio as gr

    found, todo = [], [gr.blocks.Block]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


_schema_lock = threading.Lock()


@functools.lru_cache(maxsize=256)
def _schema(data_model: type) -> dict:
    schema = data_model.model_json_schema()
    schema["additional_description"] = schema.pop("description", None)
    return schema


def _schemas_once() -> None:
    """Component.api_info: a data model's JSON schema (pydantic, ~2 ms) once per model class; each component
    still gets its own copy (callers may change it)."""
    from gradio.components.base import Component

    def api_info(self) -> dict:
        if self._api_info_cache is not None:
            return self._api_info_cache
        if self.data_model is not None:
            with _schema_lock:
                schema = copy.deepcopy(_schema(self.data_model))
            self._api_info_cache = schema
            return schema
        raise NotImplementedError(f"The api_info method has not been implemented for {self.get_block_name()}")

    api_info.original = Component.api_info
    Component.api_info = api_info


SERVER_FNS = """        self.server_fns = [
            getattr(self, value)
            for value in dir(self.__class__)
            if callable(getattr(self, value))
            and getattr(getattr(self, value), "_is_server_fn", False)
        ]
"""


@functools.lru_cache(maxsize=512)
def _server_fn_names(cls: type) -> tuple[str, ...]:
    return tuple(name for name in dir(cls) if getattr(getattr(cls, name, None), "_is_server_fn", False))


def server_fns(component) -> list:
    """gradio's list of a component's @server methods, from its class's names found once."""
    found = (getattr(component, name) for name in _server_fn_names(type(component)))
    return [fn for fn in found if callable(fn) and getattr(fn, "_is_server_fn", False)]


def _server_fns_once() -> None:
    """Component.__init__ looks for @server methods by reading every attribute of the component (dir() of its
    class, ~300 names, properties evaluated): a fifth of building a component. The same __init__, gradio's
    source with that one statement asking the class once (done only when the statement is found as is)."""
    import textwrap

    from gradio.components import base

    init = base.Component.__init__
    fn = getattr(init, "__wrapped__", init)
    source = textwrap.dedent(inspect.getsource(fn))
    statement = textwrap.indent(textwrap.dedent(SERVER_FNS), "    ")  # in the dedented method's body
    if source.count(statement) != 1:
        return
    source = source.replace(statement, "    self.server_fns = _startup_server_fns(self)\n")
    space = dict(vars(base), _startup_server_fns=server_fns)
    import __future__

    first = fn.__code__.co_firstlineno  # tracebacks keep pointing at gradio's lines
    code = compile("\n" * (first - 1) + source, inspect.getsourcefile(fn), "exec",
                   flags=__future__.annotations.compiler_flag, dont_inherit=True)
    exec(code, space)  # noqa: S102 (gradio's own source)
    new = space["__init__"]
    new.__qualname__, new.__module__ = fn.__qualname__, fn.__module__
    if "__signature__" in fn.__dict__:
        new.__signature__ = fn.__signature__
    wrapper = _updateable(new)
    wrapper._args_once = True
    wrapper.original = fn
    base.Component.__init__ = wrapper


_init_names: dict = {}  # class -> (its __init__, that __init__'s parameter names)


def _parameter_names(cls: type) -> tuple[str, ...]:
    init = cls.__init__
    found = _init_names.get(cls)
    if found is None or found[0] is not init:
        found = _init_names[cls] = (init, tuple(inspect.signature(init).parameters))
    return found[1]


def _block_config_quicker() -> None:
    """Block.get_config, run for every block when the page's config is made: gradio's own, but with the
    constructor's parameter names read once per class and plain values (str, numbers, None: ~90% of them)
    taken as they are without asking whether each is a dataclass, a block or a list (the same answers)."""
    import dataclasses

    from gradio.blocks import Block

    atoms = (str, int, float, bool, type(None))

    def get_config(self, cls=None) -> dict:
        config = {}
        if cls is None:
            cls = self.__class__
        for name in _parameter_names(cls):
            if hasattr(self, name):
                value = getattr(self, name)
                if type(value) in atoms:
                    pass
                elif dataclasses.is_dataclass(value):
                    value = dataclasses.asdict(value)  # type: ignore
                elif isinstance(value, Block):
                    block_instance = value
                    value = block_instance.get_config()
                    value["id"] = block_instance._id
                elif isinstance(value, (list, tuple)):
                    serialized_list = []
                    for item in value:
                        if isinstance(item, Block):
                            item_config = item.get_config()
                            item_config["id"] = item._id
                            serialized_list.append(item_config)
                        else:
                            serialized_list.append(item)
                    value = serialized_list
                config[name] = value
        for e in self.events:
            to_add = e.config_data()
            if to_add:
                config = {**to_add, **config}
        config.pop("render", None)
        config = {**config, "proxy_url": getattr(self, "proxy_url", None), "name": self.get_block_class()}
        for event_attribute in ["_selectable", "_undoable", "_retryable", "likeable"]:
            if (attributable := getattr(self, event_attribute, None)) is not None:
                config[event_attribute] = attributable
        return config

    get_config.original = Block.get_config
    Block.get_config = get_config


STYLER_IMPORT = "from pandas.io.formats.style import Styler\n"
STYLER_METHODS = ("is_empty", "get_headers", "get_cell_data", "get_metadata", "postprocess", "set_auto_datatype")


class _NoStyler:
    """Stands for pandas' Styler while its module is not imported: then no value is a Styler."""


def _styler():
    import sys

    module = sys.modules.get("pandas.io.formats.style")
    return module.Styler if module is not None else _NoStyler


def _styler_when_pandas_has_one() -> None:
    """gr.Dataframe's methods import pandas' Styler to ask `isinstance(value, Styler)`: the first table built
    imports pandas.io.formats.style, which compiles its jinja2 templates (~0.12 s, a page no one asked for).
    A Styler value exists only once that module is imported, so the same methods (gradio's source, that import
    replaced) ask it only then."""
    from gradio.components import dataframe

    for name in STYLER_METHODS:
        _rewrite_method(dataframe.Dataframe, name, STYLER_IMPORT, "Styler = _startup_styler()\n",
                        {"_startup_styler": _styler})


def _rewrite_method(cls: type, name: str, old: str, new: str, names: dict) -> bool:
    """cls.name recompiled from gradio's source with the statement `old` (found once) replaced by `new`, in its
    module's globals plus `names`; False (left as it is) when the source is not as expected."""
    import __future__

    import sys
    import textwrap
    import types

    attr = cls.__dict__.get(name)
    fn = getattr(attr, "__func__", attr)
    if not inspect.isfunction(fn) or hasattr(fn, "__wrapped__"):
        return False
    source = textwrap.dedent(inspect.getsource(fn))
    lines = [line for line in source.splitlines(keepends=True) if line.strip() == old.strip()]
    if len(lines) != 1:
        return False
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    source = source.replace(lines[0], indent + new)
    first = fn.__code__.co_firstlineno  # (its first decorator's line): tracebacks keep pointing at gradio's lines
    body = f"class {cls.__name__}:\n" + textwrap.indent(source, "    ")  # private names mangled as in cls
    flags = fn.__code__.co_flags & __future__.annotations.compiler_flag
    code = compile("\n" * max(first - 2, 0) + body, inspect.getsourcefile(fn), "exec", flags=flags,
                   dont_inherit=True)
    space: dict = {}
    module = sys.modules[cls.__module__]
    exec(code, dict(vars(module)), space)  # noqa: S102 (gradio's own source)
    made = space[cls.__name__].__dict__[name]
    compiled = getattr(made, "__func__", made)
    if compiled.__code__.co_freevars != fn.__code__.co_freevars:
        return False
    globals_ = module.__dict__
    for key, value in names.items():
        globals_.setdefault(key, value)
    function = types.FunctionType(compiled.__code__, globals_, fn.__name__, fn.__defaults__, fn.__closure__)
    function.__kwdefaults__, function.__annotations__ = fn.__kwdefaults__, fn.__annotations__
    function.__qualname__, function.__module__, function.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
    function.original = fn
    setattr(cls, name, staticmethod(function) if isinstance(attr, staticmethod) else function)
    return True


# ---- per app -----------------------------------------------------------------------------------------------
class _Lazy:
    """A Blocks attribute (config, app) that, set to _PENDING, is made by make(blocks) when first read."""

    def __init__(self, name: str, make):
        self.slot, self.make = f"_lazy_{name}", make

    def __get__(self, blocks, owner=None):
        if blocks is None:
            return self
        value = blocks.__dict__.get(self.slot, _PENDING)
        if value is _PENDING:
            if self.slot not in blocks.__dict__:
                raise AttributeError(self.slot[6:])
            value = self.make(blocks)
            blocks.__dict__[self.slot] = value
        return value

    def __set__(self, blocks, value) -> None:
        blocks.__dict__[self.slot] = value


def _lazy_config_and_app() -> None:
    """Blocks.__init__ (through queue()) and Blocks.__exit__ each build a server app (~100 ms of FastAPI routes)
    and __exit__ computes the page's config twice; launch() builds its own app and config again. Here the
    ones of __init__, queue() and __exit__ are made when first read (mounting the app, reading demo.config):
    the same objects, computed later. __exit__ below is gradio's own but for those two lines."""
    from gradio import blocks as gb
    from gradio.context import Context, set_render_context
    from gradio.routes import App

    def make_app(blocks):
        return App.create_app(blocks, mcp_server=False)

    gb.Blocks.config = _Lazy("config", lambda blocks: blocks.get_config_file())
    gb.Blocks.app = _Lazy("app", make_app)
    original_queue = gb.Blocks.queue
    original_create = App.create_app
    deferring = threading.local()

    def create_app(blocks, *args, **kwargs):
        if getattr(deferring, "on", False) and not args and kwargs == {"mcp_server": False}:
            return _PENDING
        return original_create(blocks, *args, **kwargs)

    @functools.wraps(original_queue)
    def queue(self, *args, **kwargs):
        deferring.on = True
        try:
            return original_queue(self, *args, **kwargs)
        finally:
            deferring.on = False

    def __exit__(self, exc_type=None, *args):
        if exc_type is not None:
            set_render_context(None)
            Context.root_block = None
            return
        gb.BlockContext.fill_expected_parents(self)
        set_render_context(self.parent)
        self.default_config.attach_load_events()
        if self.parent is None:
            Context.root_block = None
        else:
            self.parent.children.extend(self.children)
        self.config = _PENDING
        self.app = _PENDING
        self.progress_tracking = any(block_fn.tracks_progress for block_fn in self.fns.values())
        self.page = ""
        self.validate_navbar_settings()
        self.exited = True

    App.create_app = staticmethod(create_app)
    gb.Blocks.queue = queue
    gb.Blocks.__exit__ = __exit__


def _config_once_in_launch() -> None:
    """launch() computes the config, sets the i18n, then builds its app, which computes the config again
    (for the MCP flag and i18n, which are top-level keys): the components, layout and dependencies are
    computed once per launch() call and shared by both."""
    from gradio import blocks as gb

    original_launch = gb.Blocks.launch
    original_get_config = gb.BlocksConfig.get_config

    def get_config(self, renderable=None):
        cache = getattr(self.root_block, "_launch_config", None) if renderable is None else None
        if cache is None or cache.get("of") is not self:
            return original_get_config(self, renderable)
        if "config" not in cache:
            cache["config"] = original_get_config(self, renderable)
        return cache["config"]

    @functools.wraps(original_launch)
    def launch(self, *args, **kwargs):
        self._launch_config = {"of": self.default_config}
        try:
            return original_launch(self, *args, **kwargs)
        finally:
            self._launch_config = None

    get_config.original = original_get_config
    gb.BlocksConfig.get_config = get_config
    gb.Blocks.launch = launch


# ---- per page load ----------------------------------------------------------------------------------------
def _pages_cached() -> None:
    """Each server app gradio creates serves GET / through PageCache (see there)."""
    from gradio.routes import App

    previous = App.create_app

    def create_app(blocks, *args, **kwargs):
        app = previous(blocks, *args, **kwargs)
        if app is not _PENDING:
            PageCache.serve(app)
        return app

    App.create_app = staticmethod(create_app)


def rooted_page(source: dict, page: str, user, root: str) -> dict:
    """gradio's get_page_config(source, page), with username, deep_link_state "none" and
    update_root_in_config(config, root), made in one pass: gradio deep-copies the ~2 MB config, then copies it
    again while it walks it to put the root in front of every file's URL (0.3 s here, on every page load)."""
    from gradio import processing_utils
    from gradio.utils import safe_deepcopy
    from gradio_client.utils import is_file_obj_with_url

    layout = source["page"][page]
    component_ids, dependency_ids = set(layout["components"]), set(layout["dependencies"])
    config = {key: value for key, value in source.items() if key not in {"components", "dependencies", "layout"}}
    config["components"] = [c for c in source["components"] if c["id"] in component_ids]
    config["dependencies"] = [d for d in source.get("dependencies", []) if d["id"] in dependency_ids]
    config["layout"] = layout["layout"]
    config["current_page"] = page
    previous_root = config.get("root")
    if previous_root is not None and previous_root == root:  # gradio leaves the copy as it is
        config = safe_deepcopy(config)
        config["username"], config["deep_link_state"] = user, "none"
        return config
    config["username"], config["deep_link_state"], config["root"] = user, "none", root
    atoms = (str, int, float, bool, type(None))

    def add_root(file: dict) -> dict:
        return processing_utils.add_root_url(file, root, previous_root)

    def copy(value):  # gradio_client.utils.traverse over a deep copy
        if type(value) in atoms:
            return value
        if isinstance(value, dict):
            if "meta" in value and is_file_obj_with_url(value):  # ("meta" first: most dicts are not files)
                return add_root(safe_deepcopy(value))
            return {key: copy(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [copy(item) for item in value]
        return safe_deepcopy(value)

    return copy(config)


class PageCache:
    """GET / of a gradio 6.31 server app, made once per page (root URL, user, page) and then served as stored
    bytes: gradio rebuilds the page (a deep copy of the config, its file URLs, the API description, the
    template) on every load, ~0.3-0.6 s of CPU here, so a class opening the link at once queued behind it.
    A request with a deep link, run history, or a login still to do gets gradio's own answer."""

    SIZE = 8  # pages kept (about 2 MB each): roots x users x pages

    def __init__(self, app, main, get_api_info):
        from collections import OrderedDict

        self.app, self.original, self.get_api_info = app, main, get_api_info
        self.pages: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    @classmethod
    def serve(cls, app) -> None:
        """Put the cache in front of app's GET / (if its route is gradio's own `main`)."""
        from fastapi.responses import HTMLResponse
        from fastapi.routing import APIRoute

        routes = app.router.routes
        i = next((i for i, route in enumerate(routes)
                  if isinstance(route, APIRoute) and route.path == "/" and route.methods == {"GET"}), None)
        if i is None:
            return
        route = routes[i]
        main = route.endpoint
        cells = dict(zip(main.__code__.co_freevars, main.__closure__ or (), strict=True))
        if main.__name__ != "main" or "get_api_info" not in cells:
            return
        pages = cls(app, main, cells["get_api_info"].cell_contents)

        @functools.wraps(main)
        def cached_main(request, user=None, page: str = "", deep_link: str = ""):
            return pages.get(request, user, page, deep_link)

        routes[i] = APIRoute("/", cached_main, methods=["GET"], response_class=HTMLResponse,
                                        name=route.name, include_in_schema=route.include_in_schema)
        app.page_cache = pages

    def key(self, request, user, page: str, deep_link: str):
        """What the page depends on, or None when gradio should answer."""
        from gradio import route_utils

        app, blocks = self.app, self.app.get_blocks()
        if deep_link or request.url.path.rstrip("/").endswith(f"{route_utils.API_PREFIX}/runs"):
            return None
        if not ((app.auth is None and app.auth_dependency is None) or user is not None):
            return None
        if page not in blocks.config["page"]:
            return None
        root = route_utils.get_root_url(request=request, route_path=f"/{page}", root_path=app.root_path
                                        or request.scope.get("root_path") or blocks.custom_mount_path)
        api_root = route_utils.get_root_url(request=request, route_path=f"/{page}", root_path=app.root_path)
        all_endpoints = bool(request.query_params.get("all_endpoints", False))
        return root, api_root, user, page, all_endpoints, bool(blocks.share), blocks.space_id

    def get(self, request, user, page: str, deep_link: str):
        from fastapi.responses import HTMLResponse

        key = self.key(request, user, page, deep_link)
        if key is None:
            return self.original(request, user, page, deep_link)
        config = self.app.get_blocks().config
        with self.lock:  # a class arriving at once: the first makes the page, the others wait for it
            found = self.pages.get(key)
            if found is None or found[0] is not config:
                found = self.pages[key] = (config, self.render(request, user, page, key[0]))
                while len(self.pages) > self.SIZE:
                    self.pages.popitem(last=False)
            self.pages.move_to_end(key)
        return HTMLResponse(found[1])

    def render(self, request, user, page: str, root: str) -> bytes:
        """The page's bytes as gradio's main() renders them for this request."""
        from gradio import routes

        blocks = self.app.get_blocks()
        config = rooted_page(blocks.config, page, user, root)
        api_info = self.get_api_info(request, page=page, route_path=f"/{page}")
        response = routes.templates.TemplateResponse(
            request=request, name="frontend/share.html" if blocks.share else "frontend/index.html",
            context={"base_url": "./", "config": config, "gradio_api_info": api_info})
        return response.body


class QuickHead:
    """ASGI middleware: `HEAD /` is answered 200 at once, without the page. gradio builds the whole page (a deep
    copy of the ~1400-block config, the API description) to answer a HEAD, and its launch() sends one with a
    3 s timeout to check that localhost answers: on a busy machine that check timed out and the app refused to
    start. GET / is unchanged; a HEAD may leave out the length of the body."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "HEAD" and scope["path"] in ("", "/"):
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/html; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)
