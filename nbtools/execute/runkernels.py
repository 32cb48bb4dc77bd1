"""Which kernels one ``nbtools run`` starts: a local factory on the project's Python (or
``--kernel``), containers (``--image``), or a factory the caller brings (``pytest --nbtools``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbtools.errors import UsageError
from nbtools.execute.process import KernelStartError
from nbtools.execute.specs import unavailable_language

if TYPE_CHECKING:
    from nbtools.container.options import ContainerSpec
    from nbtools.execute.interpreter import Interpreter
    from nbtools.execute.kernels import LocalKernelFactory
    from nbtools.execute.process import KernelFactory
    from nbtools.execute.settings import RunSettings
    from nbtools.execute.source import Source
    from nbtools.results import RunResult


@dataclass
class Kernels:
    """The kernels of one run: what starts them and what the run may ask of them."""

    factory: KernelFactory
    #: made for this run: the run tells it what is coming, and closes it at the end
    owned: bool
    #: the local factory, which resolves kernelspecs (a notebook's language, ``--kernel``)
    local: LocalKernelFactory | None = None

    def expect(self, main: int, fresh: int) -> None:
        if self.owned:
            self.factory.expect(main, fresh)

    def close(self) -> None:
        if self.owned:
            self.factory.close()

    def check_kernel_option(self, settings: RunSettings) -> None:
        """A ``--kernel`` that names no kernel is a usage error, before anything runs."""
        if settings.kernel and self.local is not None:
            try:
                self.local.spec_for("")
            except KernelStartError as exc:
                raise UsageError(str(exc)) from None

    def unavailable(self, source: Source, settings: RunSettings) -> str | None:
        """Why a notebook in another language than Python cannot run here, or None."""
        language = unavailable_language(source.nb)
        if language is None or settings.kernel:
            return None
        name = source.kernel_name
        if settings.image or self.local is None:
            image = settings.image
            where = f"the image {image} runs" if image else "this run has"
            return f"the notebook is written in {language} (kernelspec `{name}`) and {where} only Python kernels"
        try:
            spec = self.local.spec_for(name)
        except Exception:  # noqa: BLE001 - no such kernelspec here
            return f"the notebook is written in {language} and no kernel `{name}` is installed here"
        if str(getattr(spec, "language", "")).lower() != language.lower():
            return f"the notebook is written in {language}, but kernel `{name}` here runs {spec.language}"
        return None


def local_kernels(settings: RunSettings, python: Interpreter | None) -> Kernels:
    """Kernels started here, from kernelspecs or on ``python`` (the project's interpreter)."""
    from nbtools.execute.kernels import LocalKernelFactory

    factory = LocalKernelFactory(
        settings.kernel,
        use_forkserver=settings.fork,
        python=python.python if python is not None else None,
    )
    return Kernels(factory, owned=True, local=factory)


def container_kernels(settings: RunSettings, sources: list[Source]) -> Kernels:
    """Kernels in containers (engine detected, work tree mounted, image checked)."""
    from nbtools.container.factory import ContainerKernelFactory

    folders = [s.folder for s in sources]
    factory = ContainerKernelFactory.from_options(settings.container_options, folders)
    return Kernels(factory, owned=True)


def container_spec(settings: RunSettings, sources: list[Source]) -> ContainerSpec:
    """The containers' settings, without starting one (the cache looks up first)."""
    from nbtools.container.engine import detect_engine
    from nbtools.container.factory import work_tree
    from nbtools.container.options import spec_from_options

    options = settings.container_options
    engine = detect_engine(options.get("engine"))
    return spec_from_options(options, engine.path, work_tree([s.folder for s in sources]))


def project_interpreter(
    settings: RunSettings, sources: list[Source], result: RunResult, env: dict[str, str]
) -> Interpreter | None:
    """The project's Python for the kernels (None: a kernel was configured), in ``result``."""
    if settings.kernel:
        result.interpreter = {
            "kernel": settings.kernel,
            "source": "kernel",
            "reason": "the configured kernel (--kernel or [tool.nbtools.run] kernel)",
        }
        return None
    from nbtools.discovery import git_root
    from nbtools.execute.interpreter import find_interpreter, has_ipykernel

    start = sources[0].folder if sources else os.getcwd()
    found = find_interpreter(git_root(start))
    result.interpreter = found.to_dict()
    if sources and found.source != "nbtools" and not has_ipykernel(found.python, env):
        raise UsageError(
            f"kernels would run on {found.python}, {found.reason}, which has no ipykernel: "
            f"install it there (`{found.python} -m pip install ipykernel`), or pass "
            "--kernel NAME|PYTHON"
        )
    return found
