"""The documentation's runnable examples: each fenced block (```sh or ```python) right after a line
`<!-- runnable: NAME -->` in README.md or docs/*.md. They run as a reader runs them, from the repository root: here
in a scratch folder that links the repository's tests/ and examples/ folders, with xpulse and xpulse-plot of the
build under test first on PATH and its Python package first on the Python path."""
import os
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
MARK = re.compile(r"<!-- runnable: ([a-z0-9-]+) -->\n```(sh|python)\n(.*?)\n```", re.S)


def examples():
    """{name: (language, code, file)} of every runnable example; a name used twice is an error."""
    found = {}
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for name, language, code in MARK.findall(page.read_text()):
            if name in found:
                raise ValueError(f"runnable example '{name}' appears twice ({found[name][2]}, {page.name})")
            found[name] = (language, code, page.relative_to(ROOT))
    return found


def run(name, folder, binary):
    """Runs example `name` in `folder`; returns its stdout, raises with its output when it fails."""
    language, code, page = examples()[name]
    folder.mkdir(parents=True, exist_ok=True)
    for linked in ("tests", "examples"):
        if not (folder / linked).exists():
            (folder / linked).symlink_to(ROOT / linked)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"),
               PATH=f"{pathlib.Path(binary).resolve().parent}{os.pathsep}{ROOT / 'python' / 'bin'}{os.pathsep}"
                    f"{os.environ['PATH']}")
    command = ["bash", "-euo", "pipefail", "-c", code] if language == "sh" else ["/usr/bin/python3", "-c", code]
    r = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"{page}, example '{name}' failed ({r.returncode}):\n{code}\n{r.stdout}\n{r.stderr}")
    return r.stdout
