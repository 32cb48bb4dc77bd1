"""pytest plugin: ``pytest --nbtools`` runs each notebook as a test, the way ``nbtools run`` does.

Each ``.ipynb`` under the collected paths (and each paired script whose notebook is not
there) is one test item, run through ``nbtools run``'s own pipeline
(:func:`nbtools.execute.pipeline.run_notebooks`) on a fresh kernel: the same fork server, kernels,
container (``--image``) and ``[tool.nbtools.run]`` settings, the same verdicts. ``pass``,
``pass_with_warnings`` (and ``nondeterministic``, a warning for ``nbtools run`` too) pass;
every other verdict fails, showing the failing cell's source and traceback. Cells tagged
``raises-exception`` may raise and ``skip-execution`` cells are skipped, as in ``run``.

Each pytest process (each pytest-xdist worker) keeps one kernel factory, so kernels fork
from one warm fork server instead of starting cold per notebook. Options of ``nbtools run``
go in ``--nbtools-run-args`` (or the ``nbtools_run_args`` ini key), e.g.
``--nbtools-run-args="--image tensorflow/tensorflow:2.9.0-jupyter --timeout 300"``.

The plugin is registered as a ``pytest11`` entry point, so it loads with nbtools installed
(or with ``-p nbtools.pytest_plugin``) and does nothing without ``--nbtools``; it imports
nothing heavy until then.
"""

from __future__ import annotations

import os
import shlex
import warnings
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from concurrent.futures import Future
    from pathlib import Path

    from nbtools.execute.process import KernelFactory, KernelRequest, StartedKernel
    from nbtools.report import Report


class NotebookWarning(UserWarning):
    """A notebook passed with something to say (e.g. outputs differ between two runs)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nbtools", "notebooks as tests (nbtools run)")
    group.addoption(
        "--nbtools",
        action="store_true",
        default=False,
        help="collect notebooks (.ipynb, and paired scripts without one) and run each on a "
        "fresh kernel as `nbtools run` does",
    )
    group.addoption(
        "--nbtools-run-args",
        default=None,
        metavar="ARGS",
        help="options of `nbtools run` for the notebooks, e.g. "
        '"--image tensorflow/tensorflow:2.9.0-jupyter --timeout 300" '
        "(default: the nbtools_run_args ini key, then [tool.nbtools.run])",
    )
    parser.addini("nbtools", "collect notebooks as with --nbtools", type="bool", default=False)
    parser.addini("nbtools_run_args", "options of `nbtools run` (as --nbtools-run-args)")


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("nbtools") or config.getini("nbtools"))


_RUNNER = pytest.StashKey["NotebookRunner"]()


def pytest_configure(config: pytest.Config) -> None:
    if not _enabled(config):
        return
    text = config.getoption("nbtools_run_args")
    if text is None:
        text = config.getini("nbtools_run_args")
    config.stash[_RUNNER] = NotebookRunner(str(text or ""), str(config.rootpath))


def pytest_unconfigure(config: pytest.Config) -> None:
    runner = config.stash.get(_RUNNER, None)
    if runner is not None:
        runner.close()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Tell a notebook which notebook comes next on this worker: its kernel starts early."""
    if isinstance(item, NotebookItem):
        item.next_notebook = nextitem if isinstance(nextitem, NotebookItem) else None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not _enabled(parent.config):
        return None
    if file_path.suffix == ".ipynb" or (file_path.suffix == ".py" and _lone_script(file_path)):
        collector: NotebookFile = NotebookFile.from_parent(parent, path=file_path)
        return collector
    return None


def _lone_script(path: Path) -> bool:
    """A script paired with a notebook that is not there (its notebook is collected
    otherwise, and runs the pair once)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if b"jupytext" not in head or b"formats" not in head:
        return False  # no pairing header: an ordinary Python file
    from nbtools.pairs.find import find_pair

    try:
        pair = find_pair(path)
    except Exception:  # noqa: BLE001 - unusual headers: not a notebook test
        return False
    return pair is not None and pair.script == path and not pair.notebook.is_file()


class NotebookFile(pytest.File):
    """A notebook (or lone paired script): one test item."""

    def collect(self) -> list[pytest.Item]:
        return [NotebookItem.from_parent(self, name=self.path.name)]


class NotebookFailed(Exception):
    """A notebook's verdict failed; ``text`` says why (cell source and traceback)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class NotebookItem(pytest.Item):
    """One notebook run on a fresh kernel; its outcome is ``nbtools run``'s verdict."""

    next_notebook: NotebookItem | None = None

    def runtest(self) -> None:
        runner: NotebookRunner = self.config.stash[_RUNNER]
        runner.prestart(self._display_path(), first=True)
        if self.next_notebook is not None:
            # as `nbtools run` does: the next kernel starts while this notebook runs
            runner.prestart(self.next_notebook._display_path())
        from nbtools.execute.rules import NOT_FAILING

        report = runner.run(self._display_path())
        verdict, text = outcome(report)
        self.user_properties.append(("verdict", verdict))
        if verdict not in NOT_FAILING:  # as for the exit code of `nbtools run`
            raise NotebookFailed(text)
        if verdict != "pass" and text:
            warnings.warn(NotebookWarning(f"{self.path.name}: {verdict}: {text}"), stacklevel=1)

    def _display_path(self) -> str:
        path = str(self.path)
        try:
            rel = os.path.relpath(path)
        except ValueError:  # another drive
            return path
        return path if rel.startswith("..") else rel

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, NotebookFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"notebook {self.name}"


def outcome(report: Report) -> tuple[str, str]:
    """(verdict, what to show) of a one-notebook ``nbtools run`` report."""
    from nbtools.execute.rules import NOT_FAILING
    from nbtools.renderers.views import view_for
    from nbtools.results import RunResult

    if report.errors:
        error = report.errors[0]
        return "error", f"{error.path}: {error.message}"
    result = report.result
    entries = result.notebooks if isinstance(result, RunResult) else []
    if not entries:
        return "error", "nbtools run did not run this notebook"
    entry = entries[0]
    verdict = str(entry.get("verdict"))
    lines = view_for(report).text_lines(report)
    if verdict in NOT_FAILING:
        warnings_ = [str(w) for w in entry.get("warnings") or []]
        return verdict, entry.get("reason") or "; ".join(warnings_)
    if lines and lines[0].startswith("--- "):
        lines = lines[1:]  # "--- path: reason": pytest names the notebook already
    head = f"{verdict}: {entry.get('reason') or entry.get('failure') or 'failed'}"
    return verdict, "\n".join([head, *lines])


class NotebookRunner:
    """The ``nbtools run`` options and one kernel factory for this pytest process."""

    def __init__(self, run_args: str, rootdir: str) -> None:
        from nbtools.cli import build_parser
        from nbtools.commands import command_options
        from nbtools.config import load_config
        from nbtools.errors import NbtoolsError

        try:
            parser, module = build_parser("run")
            assert module is not None
            args = parser.parse_args(["run", *shlex.split(run_args)])
            self.config = load_config([rootdir], args.config)
            self.options, self.given = command_options(module, vars(args), self.config)
        except (NbtoolsError, ValueError) as exc:
            raise pytest.UsageError(f"--nbtools-run-args {run_args!r}: {exc}") from None
        # pytest chooses the notebooks: no shards, no merging
        self.options.update(merge_reports=None, shard=None, durations=None)
        self.rootdir = rootdir
        self._factory: KernelFactory | None = None
        self._ahead: AheadFactory | None = None

    def factory(self) -> AheadFactory:
        """The kernel factory, made on first use (a fork server, or the container engine),
        wrapped so that a kernel started ahead for a notebook serves that notebook."""
        if self._ahead is None:
            factory: KernelFactory
            if self.options["image"]:
                from nbtools.container.factory import ContainerKernelFactory

                factory = ContainerKernelFactory.from_options(self.options, [self.rootdir])
            else:
                from nbtools.execute.kernels import LocalKernelFactory

                local = factory = LocalKernelFactory(
                    self.options["kernel"], use_forkserver=self.options["fork"]
                )
                if self.options["kernel"]:
                    local.spec_for("")  # a bad --kernel fails here, not per cell
            self._factory = factory
            self._ahead = AheadFactory(factory)
        return self._ahead

    def prestart(self, path: str, *, first: bool = False) -> None:
        """Start the kernel that ``run(path)`` will ask for, in the background.

        ``first``: unless one was started ahead, start it now and wait. The run's orphan
        guard then finds the fork server already there, so it outlives this notebook
        and serves the next ones (what the guard sees start during a run, it stops).
        """
        from nbtools.errors import NbtoolsError
        from nbtools.execute.process import KernelRequest
        from nbtools.execute.source import load_source

        try:
            source = load_source(path)
            request = KernelRequest(source.kernel_name, source.folder, self.kernel_env())
            ahead = self.factory()
        except (NbtoolsError, OSError):
            return  # the run itself will report it
        if not (first and ahead.has(request)):
            ahead.prestart(request, wait=first)

    def kernel_env(self) -> dict[str, str]:
        """The kernels' environment, as `nbtools run` makes it (``--env`` included)."""
        from nbtools.execute.process import kernel_environment

        extra = dict(str(item).split("=", 1) for item in self.options["env"] if "=" in str(item))
        return kernel_environment(extra)

    def run(self, path: str) -> Report:
        """``nbtools run PATH`` through the run command's own pipeline."""
        from nbtools.console import Console
        from nbtools.errors import NbtoolsError
        from nbtools.execute.pipeline import run_notebooks
        from nbtools.execute.settings import RunSettings

        try:
            settings = RunSettings.from_options(
                self.options, [path], self.config.root_dir, given=self.given
            )
            return run_notebooks(settings, Console(verbosity=-1), factory=self.factory())
        except NbtoolsError as exc:
            raise NotebookFailed(f"nbtools run: {exc}") from None

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.close()
        if self._factory is not None:
            self._factory.close()
        self._factory = self._ahead = None


class AheadFactory:
    """A kernel factory that can start kernels ahead of time.

    :meth:`prestart` starts a kernel for a request in a thread; a later call with an equal
    request gets that kernel, any other call a new one. At most :attr:`LIMIT` kernels wait;
    the oldest is killed to make room, and :meth:`close` kills those never asked for.
    """

    LIMIT = 2

    def __init__(self, factory: KernelFactory) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.factory = factory
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nbtools-ahead")
        self.pending: list[tuple[Any, Future[StartedKernel]]] = []

    @staticmethod
    def _key(request: KernelRequest) -> Any:
        return (
            request.kernel_name,
            request.cwd,
            tuple(sorted(request.env.items())),
            tuple(request.extra_arguments),
            request.fresh_parent,
        )

    def has(self, request: KernelRequest) -> bool:
        """Whether a kernel for ``request`` was started ahead."""
        key = self._key(request)
        return any(k == key for k, _ in self.pending)

    def prestart(self, request: KernelRequest, *, wait: bool = False) -> None:
        while len(self.pending) >= self.LIMIT:
            self._kill(self.pending.pop(0)[1])
        future = self.pool.submit(self.factory, request)
        self.pending.append((self._key(request), future))
        if wait:
            try:
                future.result()
            except Exception:  # noqa: BLE001 - the run starts it again, and says why not
                pass

    def __call__(self, request: KernelRequest) -> StartedKernel:
        key = self._key(request)
        for index, (pending_key, future) in enumerate(self.pending):
            if pending_key != key:
                continue
            del self.pending[index]
            try:
                kernel = future.result()
            except Exception:  # noqa: BLE001 - start it again below, and fail there
                break
            if kernel.is_alive():
                return kernel
            kernel.kill()
            break
        return self.factory(request)

    def expect(self, main: int, fresh: int = 0) -> None:
        """Ignored: one run here is one notebook, but the session runs many, so the
        wrapped factory keeps its fork server warm for all of them."""

    @staticmethod
    def _kill(future: Future[StartedKernel]) -> None:
        try:
            future.result(timeout=120).kill()
        except Exception:  # noqa: BLE001 - a failed start left nothing to kill
            pass

    def close(self) -> None:
        pending, self.pending = self.pending, []
        for _, future in pending:
            self._kill(future)
        self.pool.shutdown(wait=True)
