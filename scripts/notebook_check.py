#!/usr/bin/env python3
"""Runs pixelprep the way notebook users do, and reads its zip the way docs/notebook.md (linked from the README) does.

    scripts/notebook_check.py --binary PATH [--kernel NAME] [--recipe FILE] [--rows N]

Normally started by scripts/check-notebook.sh, in .venv-notebook (nbclient, ipykernel,
numpy, pillow). Two checks, one line each, then "N passed, N failed"; exit 1 if any
failed:

1. notebook cells: a notebook of `!pixelprep ...` cells is run by nbclient in a real
   ipykernel. The plain convert must print plain progress lines (no ESC, no carriage-return
   redraws) and the summary; `--progress bar` must print the bar (the control that shows
   the first assertion can fail). It also reports what a `!` command's environment is.
2. Dataset from forked workers: the README's `ZipImages` recipe, with a stand-in for
   torch whose DataLoader forks its workers, must read every entry of a zip of a few
   thousand PNGs correctly after the parent has read ds[0]. The README's previous
   recipe (OLD_RECIPE) is run the same way as a negative control.
"""
import argparse
import collections
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(REPO, "data-samples", "bengali_sample.parquet")
KERNEL = "pixelprep-notebook"

SUMMARY_RE = re.compile(
    r"^36 images, 2 blank, from 1 file into .*sample\.zip \(0\.\d MB\) in \d+\.\d\d s, "
    r"\d+ images/s; pixel mean \d+\.\d{3}, std \d+\.\d{3}$",
    re.M,
)

# The README recipe before the per-process reopen (verbatim): forked workers inherit the
# parent's open ZipFile, share its file offset, and read each other's bytes.
OLD_RECIPE = '''\
import io, zipfile
import numpy as np, torch
from PIL import Image
from torch.utils.data import Dataset

class ZipImages(Dataset):
    """128x128 grayscale images from pixelprep's zip, as float tensors in [0, 1]."""
    def __init__(self, path):
        self.path = path
        with zipfile.ZipFile(path) as z:
            self.names = z.namelist()          # input order: Train_0.png, Train_1.png, ...
        self.zip = None                        # opened lazily, once per DataLoader worker
    def __len__(self):
        return len(self.names)
    def __getitem__(self, i):
        if self.zip is None:
            self.zip = zipfile.ZipFile(self.path)
        name = self.names[i]
        img = np.array(Image.open(io.BytesIO(self.zip.read(name))))
        return torch.from_numpy(img).float().div(255).unsqueeze(0), name[:-len(".png")]

ds = ZipImages("train.zip")
image, image_id = ds[0]
'''

# A stand-in for the parts of torch the recipe uses. DataLoader forks its workers as
# torch does on Linux, after the parent may have used the dataset. One deviation: a
# worker's exception comes back as a WorkerError item instead of being raised, so the
# check can count every failing entry rather than stop at the first.
TORCH_STUB = {
    "torch/__init__.py": '''\
import numpy as np
from . import utils


class Tensor:
    def __init__(self, array):
        self._a = np.asarray(array)

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)

    def float(self):
        return Tensor(self._a.astype(np.float32))

    def div(self, x):
        return Tensor((self._a / x).astype(np.result_type(self._a.dtype, np.float32)))

    def unsqueeze(self, dim):
        return Tensor(np.expand_dims(self._a, dim))

    def numpy(self):
        return self._a

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)

    def __repr__(self):
        return f"tensor(shape={self._a.shape}, dtype={self._a.dtype})"


def from_numpy(a):
    return Tensor(a)


def stack(tensors):
    return Tensor(np.stack([t.numpy() for t in tensors]))
''',
    "torch/utils/__init__.py": "from . import data\n",
    "torch/utils/data.py": '''\
import multiprocessing
import queue


class Dataset:
    pass


class WorkerError:
    def __init__(self, index, message):
        self.index, self.message = index, message

    def __repr__(self):
        return f"WorkerError({self.index}, {self.message!r})"


def default_collate(samples):
    import torch
    first = samples[0]
    if isinstance(first, tuple):
        return tuple(default_collate(list(field)) for field in zip(*samples))
    if isinstance(first, torch.Tensor):
        return torch.stack(samples)
    return list(samples)


def _worker(dataset, batches, collate, results):
    for b, indices in batches:
        try:
            results.put((b, collate([dataset[i] for i in indices])))
        except BaseException as e:
            results.put((b, WorkerError(b, f"{type(e).__name__}: {e}")))


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=False, num_workers=0,
                 collate_fn=None, timeout=300, **_ignored):
        self.dataset, self.batch_size, self.num_workers = dataset, batch_size, num_workers
        self.collate = collate_fn or default_collate
        self.timeout = timeout

    def _batches(self):
        n = len(self.dataset)
        return [list(range(s, min(s + self.batch_size, n))) for s in range(0, n, self.batch_size)]

    def __len__(self):
        return len(self._batches())

    def __iter__(self):
        batches = self._batches()
        if self.num_workers == 0:
            for b, indices in enumerate(batches):
                yield self.collate([self.dataset[i] for i in indices])
            return
        ctx = multiprocessing.get_context("fork")
        results = ctx.Queue()
        # Round robin, as torch assigns batches to its workers.
        shares = [[(b, batches[b]) for b in range(w, len(batches), self.num_workers)]
                  for w in range(self.num_workers)]
        workers = [ctx.Process(target=_worker, args=(self.dataset, s, self.collate, results),
                               daemon=True) for s in shares]
        for w in workers:
            w.start()
        done, next_b = {}, 0
        try:
            while next_b < len(batches):
                while next_b in done:
                    yield done.pop(next_b)
                    next_b += 1
                if next_b == len(batches):
                    break
                try:
                    b, item = results.get(timeout=self.timeout)
                    done[b] = item
                except queue.Empty:
                    # A dead or hung worker: report what never came as errors.
                    for b in range(next_b, len(batches)):
                        done.setdefault(b, WorkerError(b, "no result from its worker (died or hung)"))
        finally:
            for w in workers:
                w.join(timeout=5)
                if w.is_alive():
                    w.terminate()
''',
}


# ---------------------------------------------------------------------------- helpers

def run(cmd, **kw):
    """Runs a command, returns its CompletedProcess with text output; raises on failure."""
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited with {p.returncode}:\n{p.stdout}{p.stderr}")
    return p


def stream_text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def without_pty_newlines(text):
    """A `!` command runs in a pseudo-terminal whose line discipline (ONLCR) turns every
    "\\n" the command writes into "\\r\\n": those carriage returns are the terminal's, not
    the command's. A "\\r" the command writes itself (a redraw) stays, even before a
    newline ("\\r\\n" written becomes "\\r\\r\\n", and only one "\\r\\n" is removed)."""
    return text.replace("\r\n", "\n")


def readme_recipe():
    """The README's fenced python block that defines ZipImages, dedented (it sits in a list)."""
    with open(os.path.join(REPO, "docs", "notebook.md"), encoding="utf-8") as f:
        readme = f.read()
    blocks = re.findall(r"^([ \t]*)```python[ \t]*\n(.*?)^\1```", readme, re.S | re.M)
    found = [textwrap.dedent(body) for _, body in blocks if "class ZipImages(Dataset)" in body]
    if len(found) != 1:
        raise RuntimeError(f"docs/notebook.md: {len(found)} ```python blocks contain "
                           "'class ZipImages(Dataset)', expected 1")
    return found[0]


# ---------------------------------------------------------------- check 1: notebook cells

def check_notebook(binary, kernel, tmp):
    import nbclient
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager

    # The kernel must be this venv's, not one that happens to be installed for the user.
    spec = KernelSpecManager().get_kernel_spec(kernel)
    # (abspath, not realpath: a venv's python is a symlink to the base interpreter. The
    # built-in "python3" spec says "python", which means this interpreter.)
    python = spec.argv[0]
    if python not in ("python", "python3") and \
            not os.path.abspath(python).startswith(os.path.abspath(sys.prefix) + os.sep):
        return False, [f"  kernelspec {kernel!r} runs {python}, outside {sys.prefix}"]

    b = shlex.quote(binary)
    sample = shlex.quote(SAMPLE)
    cells = {
        "version": f"!{b} --version",
        "plain": f"!{b} convert {sample} -o {shlex.quote(tmp + '/sample.zip')} --force",
        "bar": f"!{b} convert {sample} -o {shlex.quote(tmp + '/bar/sample.zip')} --progress bar --force",
        "kernel_env": 'import os; print(os.environ.get("JPY_PARENT_PID"), os.environ.get("TERM"))',
        "env": "!env | sort",
        "ttys": "!for fd in 0 1 2; do if [ -t $fd ]; then echo \"fd $fd: tty\"; "
                "else echo \"fd $fd: not a tty\"; fi; done; stty size",
    }
    os.makedirs(os.path.join(tmp, "bar"), exist_ok=True)
    nb = nbformat.v4.new_notebook()
    index = {}
    for key, source in cells.items():
        index[key] = len(nb.cells)
        nb.cells.append(nbformat.v4.new_code_cell(source))
        if source.startswith("!"):
            # `!` never raises on failure; IPython leaves the status in _exit_code.
            nb.cells.append(nbformat.v4.new_code_cell("print('exit code:', _exit_code)"))
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": spec.display_name, "language": "python"}

    client = nbclient.NotebookClient(nb, kernel_name=kernel, timeout=180, startup_timeout=120,
                                     allow_errors=True, resources={"metadata": {"path": tmp}})
    kernel_log = os.path.join(tmp, "kernel.log")
    with open(kernel_log, "w") as log:
        try:
            client.execute(stderr=log, stdout=log)
        except Exception as e:
            with open(kernel_log) as f:
                return False, [f"  the notebook did not run: {type(e).__name__}: {e}",
                               "  kernel log:", *("    " + l for l in f.read().splitlines()[-20:])]
    # What a saved notebook holds: the JSON written by nbformat, read back.
    nb_path = os.path.join(tmp, "check.ipynb")
    nbformat.write(nb, nb_path)
    saved = nbformat.read(nb_path, as_version=4)

    def out(key):
        return stream_text(nb.cells[index[key]])

    def exit_code(key):
        m = re.search(r"exit code: (-?\d+)", stream_text(nb.cells[index[key] + 1]))
        return int(m.group(1)) if m else None

    lines, ok = [], True

    def result(name, good, detail):
        nonlocal ok
        ok &= good
        lines.append(f"  {'ok  ' if good else 'FAIL'} {name}: {detail}")

    # a) the binary runs in the kernel at all
    v = without_pty_newlines(out("version")).strip()
    result("a) --version", exit_code("version") == 0 and v.startswith("pixelprep "), repr(v))

    # b) the default progress in a notebook cell: plain lines and the summary
    raw = out("plain")
    text = without_pty_newlines(raw)
    saved_json = json.dumps(saved.cells[index["plain"]].outputs)   # ESC is "\u001b" there
    problems = []
    if exit_code("plain") != 0:
        problems.append(f"exit code {exit_code('plain')}")
    if "\x1b" in text or "\\u001b" in saved_json:
        problems.append(f"{text.count(chr(27))} ESC characters")
    if "\r" in text or "\\r" in saved_json.replace("\\r\\n", "\\n"):
        problems.append(f"{text.count(chr(13))} carriage returns not part of the pty's \\r\\n")
    if not re.search(r"^convert: ", text, re.M):
        problems.append("no progress line starting with 'convert: '")
    if not SUMMARY_RE.search(text):
        problems.append("no summary line matching the expected form")
    result("b) convert, default progress", not problems,
           "plain progress lines and the summary" if not problems else "; ".join(problems))
    if problems:
        lines.append(f"       output: {raw[:600]!r}")

    # c) the control: the same convert with the bar forced must show ESC or a redraw. It
    #    must also succeed: clap colours a usage error on a tty, which would pass for a bar.
    raw = out("bar")
    text = without_pty_newlines(raw)
    drawn = "\x1b" in text or "\r" in text
    good = exit_code("bar") == 0 and drawn
    result("c) convert --progress bar (control)", good,
           "the bar is drawn (ESC or carriage return)" if good else
           f"exit code {exit_code('bar')}, bar drawn: {drawn}; output: {raw[:300]!r}")

    # d) what a `!` command sees: not an assertion, information for whoever changes the
    #    progress detection
    env = dict(line.split("=", 1) for line in without_pty_newlines(out("env")).splitlines()
               if "=" in line)
    ttys = without_pty_newlines(out("ttys")).split("\n")
    lines.append("  info d) environment of a `!` command in ipykernel:")
    lines.append(f"       kernel process: JPY_PARENT_PID TERM = {without_pty_newlines(out('kernel_env')).strip()}")
    lines.append(f"       {', '.join(t for t in ttys[:3])}; stty size (rows cols): {ttys[3] if len(ttys) > 3 else '?'}")
    lines.append("       raw line endings: every line ends in \\r\\n (the pty's ONLCR), "
                 f"e.g. {out('version')!r}")
    watched = ["TERM", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "NO_COLOR", "MPLBACKEND",
               "PAGER", "GIT_PAGER", "COLUMNS", "LINES", "CI"]
    jpy = sorted(k for k in env if k.startswith("JPY_"))
    for k in jpy + watched:
        lines.append(f"       {k}={env[k]}" if k in env else f"       {k} unset")
    return ok, lines


# ---------------------------------------------------- check 2: Dataset from forked workers

def make_zip(binary, tmp, rows):
    parquet, zip_path = os.path.join(tmp, "t.parquet"), os.path.join(tmp, "train.zip")
    run([binary, "synth", "-o", parquet, "--rows", str(rows), "--height", "32", "--width", "32",
         "--seed", "3", "--force"])
    run([binary, "convert", parquet, "-o", zip_path, "--height", "32", "--width", "32",
         "--size", "32", "--force", "--quiet"])
    return zip_path


def run_recipe(recipe, zip_path, workers, tmp, label):
    """Runs a recipe in a fresh interpreter (with the torch stand-in), returns its report."""
    stub = os.path.join(tmp, "torch-stub")
    for rel, text in TORCH_STUB.items():
        os.makedirs(os.path.dirname(os.path.join(stub, rel)), exist_ok=True)
        with open(os.path.join(stub, rel), "w") as f:
            f.write(text)
    recipe_file = os.path.join(tmp, f"recipe-{label}.py")
    with open(recipe_file, "w") as f:
        f.write(recipe)
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--run-recipe", recipe_file,
                        "--zip", zip_path, "--workers", str(workers), "--stub", stub],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=tmp,
                       timeout=900)
    last = p.stdout.strip().splitlines()[-1:] or [""]
    try:
        return json.loads(last[0])
    except ValueError:
        return {"error": f"the recipe's process exited with {p.returncode}: "
                         f"{(p.stdout + p.stderr)[-1500:]}"}


def recipe_child(args):
    """In a fresh interpreter: runs the recipe, iterates a forked DataLoader over it,
    checks every item against a ZipFile of this process, prints a JSON report."""
    sys.path.insert(0, args.stub)
    import numpy as np
    from PIL import Image
    from torch.utils.data import DataLoader, WorkerError

    with open(args.run_recipe) as f:
        source = f.read()
    # Point the recipe at the test zip: ZipImages("train.zip") -> ZipImages("/tmp/.../train.zip")
    source, n = re.subn(r"""ZipImages\((["'])train\.zip\1\)""",
                        lambda m: f"ZipImages({args.zip!r})", source)
    ns = {"__name__": "__recipe__"}
    report = {"replaced_path": n}
    try:
        exec(compile(source, args.run_recipe, "exec"), ns)
        ds = ns.get("ds") or ns["ZipImages"](args.zip)
        first = ds[0]          # the parent reads before forking (again, if the recipe did)
    except Exception:
        report["error"] = "the recipe failed in the parent:\n" + traceback.format_exc(limit=4)
        print(json.dumps(report))
        return

    items = [(0, *first)]
    t0 = time.monotonic()
    for i, batch in enumerate(DataLoader(ds, batch_size=1, num_workers=args.workers)):
        if isinstance(batch, WorkerError):
            items.append((i, batch, None))
        else:
            images, ids = batch
            items.append((i, np.asarray(images)[0], ids[0]))
    seconds = time.monotonic() - t0

    # The truth: the PNGs read by this process, in a ZipFile opened after the workers ended.
    with zipfile.ZipFile(args.zip) as z:
        names = z.namelist()

        def why_wrong(i, image, image_id):
            """None if item i is right, else why not."""
            if isinstance(image, WorkerError):
                # Messages name entries and quote bytes ("Bad CRC-32 for file 'Train_12.png'"):
                # group them by what comes before the first quote.
                return re.split(r"""\s*b?['"]""", image.message)[0][:70]
            got = np.asarray(image.numpy() if hasattr(image, "numpy") else image, dtype=np.float64)
            want = np.array(Image.open(io.BytesIO(z.read(names[i]))))
            if image_id != names[i][:-len(".png")]:
                return f"id {image_id!r}, expected {names[i][:-len('.png')]!r}"
            if got.shape != (1,) + want.shape:
                return f"shape {got.shape}, expected {(1,) + want.shape}"
            if not np.array_equal(np.rint(got * 255), want[None]):
                return "pixels differ from the PNG"
            return None

        failures = collections.Counter()
        if len(ds) != len(names):
            failures[f"len(ds) = {len(ds)}, the zip has {len(names)} entries"] += 1
        bad_first = why_wrong(*items[0])
        if bad_first:
            failures[f"ds[0] in the parent: {bad_first}"] += 1
        good = 0
        for item in items[1:]:
            why = why_wrong(*item)
            if why:
                failures[why] += 1
            else:
                good += 1
    report.update(entries=len(names), read=len(items) - 1, good=good, failed=len(names) - good,
                  seconds=round(seconds, 2),
                  failures=failures.most_common(6), parent_first_ok=bad_first is None)
    print(json.dumps(report))


def check_dataset(binary, tmp, recipe_path, rows, workers):
    lines, ok = [], True
    zip_path = make_zip(binary, tmp, rows)
    recipe = open(recipe_path).read() if recipe_path else readme_recipe()
    source = recipe_path or "docs/notebook.md"

    for label, text, is_control in (("recipe", recipe, False), ("old", OLD_RECIPE, True)):
        r = run_recipe(text, zip_path, workers, tmp, label)
        name = "old recipe (negative control)" if is_control else f"recipe from {source}"
        if "error" in r:
            good, detail = False, r["error"].strip().replace("\n", "\n       ")
        else:
            good = r["good"] == r["entries"] and r["read"] == r["entries"]
            detail = (f"{r['good']} of {r['entries']} entries read correctly from {workers} "
                      f"forked workers ({r['failed']} failed, {r['seconds']} s)")
            if r["replaced_path"] == 0:
                detail += "; no ZipImages(\"train.zip\") line to point at the test zip, ds made by the check"
            for message, count in r["failures"]:
                detail += f"\n         {count:6} x {message}"
        if is_control:
            # Not an assertion: a race, so it may (rarely) read everything right.
            lines.append(f"  info {name}: {detail}"
                         + ("" if not good else "\n       (the control did not fail this time)"))
        else:
            ok &= good
            lines.append(f"  {'ok  ' if good else 'FAIL'} {name}: {detail}")
    return ok, lines


# ------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", help="the pixelprep binary to run")
    ap.add_argument("--kernel", default=KERNEL, help=f"kernelspec to run the notebook in [{KERNEL}]")
    ap.add_argument("--recipe", help="a file with the Dataset recipe to test instead of the README's")
    ap.add_argument("--rows", type=int, default=4000, help="entries of the Dataset test zip [4000]")
    ap.add_argument("--workers", type=int, default=4, help="forked DataLoader workers [4]")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (and check.ipynb)")
    # Internal: the fresh interpreter that runs one recipe.
    ap.add_argument("--run-recipe", help=argparse.SUPPRESS)
    ap.add_argument("--zip", help=argparse.SUPPRESS)
    ap.add_argument("--stub", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_recipe:
        return recipe_child(args)
    if not args.binary:
        ap.error("--binary is required")
    binary = os.path.abspath(args.binary)

    tmp = tempfile.mkdtemp(prefix="pixelprep-notebook-")
    # Nothing outside the venv and this folder: IPython's profile, the kernel's connection
    # file, and kernelspecs found first in the venv.
    os.environ["IPYTHONDIR"] = os.path.join(tmp, "ipython")
    os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(tmp, "jupyter-runtime")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [os.path.join(sys.prefix, "share", "jupyter")] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
    # The kernel should see what a notebook user's does, not the CI's.
    for var in ("CI", "NO_COLOR", "GITHUB_ACTIONS"):
        os.environ.pop(var, None)

    checks = [
        ("notebook cells", lambda: check_notebook(binary, args.kernel, tmp)),
        ("Dataset from forked workers",
         lambda: check_dataset(binary, tmp, args.recipe, args.rows, args.workers)),
    ]
    passed = failed = 0
    for name, fn in checks:
        try:
            ok, lines = fn()
        except Exception as e:
            ok, lines = False, [f"  {type(e).__name__}: {e}"]
        print(f"{'PASS' if ok else 'FAIL'} {name}", flush=True)
        for line in lines:
            print(line, flush=True)
        passed, failed = passed + ok, failed + (not ok)
    if args.keep:
        print(f"(kept {tmp})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
