"""Driver of benches/compare_reference.sh (run it through that script).

Times each mode as a child process, reading its peak memory from os.wait4, and
prints a markdown table of medians and ratios.
"""

import os
import shutil
import platform
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd):
    """Wall seconds and peak RSS bytes of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"failed ({child.returncode}): {' '.join(cmd)}")
    return seconds, usage.ru_maxrss * 1024


def main():
    path, repeats, pixelprep, reference, compare = sys.argv[1:6]
    repeats = int(repeats)
    tmp = tempfile.mkdtemp(prefix="pixelprep-compare-")
    modes = {
        "reference, single process -> zip": lambda out: [
            sys.executable, reference, path, "-o", out, "--mode", "single"],
        "reference, pool of 2 -> zip": lambda out: [
            sys.executable, reference, path, "-o", out, "--mode", "pool", "--processes", "2"],
        "pixelprep --threads 1 -> zip": lambda out: [
            pixelprep, "convert", path, "-o", out, "--threads", "1", "--quiet", "--force"],
        "pixelprep --threads 2 -> zip": lambda out: [
            pixelprep, "convert", path, "-o", out, "--threads", "2", "--quiet", "--force"],
    }
    results = {name: [] for name in modes}
    for r in range(repeats):
        for i, (name, cmd) in enumerate(modes.items()):
            out = os.path.join(tmp, f"mode{i}.zip")
            if os.path.exists(out):
                os.remove(out)
            seconds, peak = run(cmd(out))
            results[name].append((seconds, peak))
            print(f"run {r + 1}/{repeats}: {name}: {seconds:.2f} s, {peak / 1e9:.2f} GB",
                  file=sys.stderr)

    median = {n: statistics.median(s for s, _ in v) for n, v in results.items()}
    peak = {n: max(p for _, p in v) for n, v in results.items()}
    names = list(modes)
    print(f"input: {path} ({os.path.getsize(path) / 1e6:.0f} MB); "
          f"machine: {platform.node()}, {os.cpu_count()} cores; "
          f"{repeats} runs per mode, interleaved; {time.strftime('%Y-%m-%d')}")
    print()
    print("| mode | median seconds | peak memory |")
    print("|---|---|---|")
    for n in names:
        print(f"| {n} | {median[n]:.2f} | {peak[n] / 1e9:.2f} GB |")
    print()
    ref_single, ref_pool, pp_serial, pp_parallel = (median[n] for n in names)
    print(f"- parallel: pixelprep --threads 2 is {ref_pool / pp_parallel:.1f}x faster "
          f"than the reference pool-to-zip")
    print(f"- serial: pixelprep --threads 1 is {ref_single / pp_serial:.1f}x faster "
          f"than the reference single process")
    print(f"- pixelprep parallel/serial speedup: {pp_serial / pp_parallel:.2f}")

    check = subprocess.run([sys.executable, compare, os.path.join(tmp, "mode0.zip"),
                            os.path.join(tmp, "mode3.zip")], capture_output=True, text=True)
    print(f"- parity: {check.stdout.splitlines()[0] if check.stdout else check.stderr}")
    shutil.rmtree(tmp)
    sys.exit(check.returncode)


if __name__ == "__main__":
    main()
