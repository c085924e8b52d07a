"""`import aelab` stays light: no framework is imported until a notebook asks for one."""

import subprocess
import sys

LIGHT_MODULES = ["aelab", "aelab.data", "aelab.runtime", "aelab.check", "aelab.metrics",
                 "aelab.plot", "aelab.setup_check", "aelab.models", "aelab.noise",
                 "aelab.widgets"]


def _imported_after(statement: str) -> set:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_package_import_loads_no_framework():
    statement = "; ".join(f"import {m}" for m in LIGHT_MODULES) + "; import aelab.check; aelab.check.exercises()"
    modules = _imported_after(statement)
    assert not {"torch", "tensorflow", "keras"} & modules


def test_optional_widgets_module_is_light_too():
    import importlib.util

    if importlib.util.find_spec("aelab.widgets") is None:
        return
    modules = _imported_after("import aelab.widgets")
    assert not {"torch", "tensorflow", "keras"} & modules


def test_setup_imports_only_the_chosen_framework():
    torch_side = _imported_after("import aelab; aelab.setup('torch', verbose=False)")
    assert "torch" in torch_side and "tensorflow" not in torch_side
