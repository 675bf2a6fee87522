#!/usr/bin/python3
"""Execute a Jupyter notebook with the Deno kernel and export it to HTML.

Why not nbclient: Deno's kernel sometimes publishes a cell's outputs *after*
the `status: idle` message for that cell, and nbclient's cell loop stops
listening at idle, silently dropping them. This executor talks to the kernel
through jupyter_client directly, routes every iopub message to the cell whose
execute_request it answers (by parent_header.msg_id), and keeps draining iopub
after idle until it has been quiet for a while.

A cell fails when it produces an error output, when the kernel dies or times
out, or when it produces fewer outputs than expected. The expected count is
`metadata.heaplab.outputs` when the cell declares it, else the number of
outputs the notebook on disk already had for that cell. A cell may also set
`metadata.heaplab.timeout` (seconds) to override --timeout.

Usage:
  /usr/bin/python3 tools/nbexec.py NOTEBOOK.ipynb [--out DIR] [--update]
      [--timeout SECONDS] [--settle SECONDS] [--kernel NAME] [--no-html]

Writes DIR/NAME.ipynb (executed) and DIR/NAME.html; with --update also writes
the executed notebook back over NOTEBOOK.ipynb. Exit status 0 means every
cell ran and produced its expected outputs.
"""

import argparse
import os
import queue
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager


class CellFailure(Exception):
    """A cell failed; the message names the notebook and the cell."""


def _stream_text(text):
    return text if isinstance(text, str) else "".join(text)


class CellOutputs:
    """Accumulates nbformat outputs for one cell from iopub messages."""

    def __init__(self, index):
        self.index = index
        self.outputs = []
        self.idle = False
        self.execution_count = None
        self.clear_pending = False

    def add(self, msg_type, content):
        if msg_type == "clear_output":
            if content.get("wait"):
                self.clear_pending = True
            else:
                self.outputs = []
            return
        if msg_type not in ("stream", "display_data", "execute_result", "error"):
            return
        if self.clear_pending:
            self.outputs = []
            self.clear_pending = False
        if msg_type == "stream":
            last = self.outputs[-1] if self.outputs else None
            if last is not None and last.output_type == "stream" and last.name == content["name"]:
                last.text = _stream_text(last.text) + content["text"]
                return
            self.outputs.append(
                nbformat.v4.new_output("stream", name=content["name"], text=content["text"])
            )
        elif msg_type == "display_data":
            self.outputs.append(
                nbformat.v4.new_output(
                    "display_data",
                    data=content.get("data", {}),
                    metadata=content.get("metadata", {}),
                )
            )
        elif msg_type == "execute_result":
            self.outputs.append(
                nbformat.v4.new_output(
                    "execute_result",
                    data=content.get("data", {}),
                    metadata=content.get("metadata", {}),
                    execution_count=content.get("execution_count"),
                )
            )
        elif msg_type == "error":
            self.outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename=content.get("ename", "Error"),
                    evalue=content.get("evalue", ""),
                    traceback=content.get("traceback", []),
                )
            )

    def update_display(self, display_id, content, display_ids):
        """Apply update_display_data to outputs that carry display_id."""
        for out in self.outputs:
            if display_ids.get(id(out)) == display_id:
                out.data = content.get("data", {})
                out.metadata = content.get("metadata", {})


def expected_outputs(cell):
    """How many outputs a cell must produce: declared, or as many as on disk."""
    declared = cell.get("metadata", {}).get("heaplab", {}).get("outputs")
    if declared is not None:
        return int(declared)
    return len(cell.get("outputs", []))


def error_summary(output):
    text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    return text.strip()


class Executor:
    def __init__(self, name, kernel, cwd, settle, log):
        self.name = name
        self.kernel = kernel
        self.cwd = cwd
        self.settle = settle
        self.log = log
        self.km = None
        self.kc = None
        self.by_msg_id = {}
        self.display_ids = {}

    def __enter__(self):
        self.km = KernelManager(kernel_name=self.kernel)
        # Same colours whatever the caller's terminal settings, so committed text
        # outputs compare equal in CI (Deno colours values unless NO_COLOR is set).
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        self.km.start_kernel(cwd=self.cwd, env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=120)
        except RuntimeError as err:
            self.__exit__(None, None, None)
            raise CellFailure(f"[{self.name}] kernel {self.kernel!r} did not start: {err}")
        # wait_for_ready may leave status/kernel_info messages on iopub.
        self._drain(lambda: True, quiet=0.2, deadline=time.monotonic() + 5)
        return self

    def __exit__(self, *exc):
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        finally:
            if self.km is not None and self.km.has_kernel:
                self.km.shutdown_kernel(now=True)

    def _route(self, msg):
        parent = msg.get("parent_header", {}).get("msg_id")
        cell = self.by_msg_id.get(parent)
        msg_type = msg["header"]["msg_type"]
        content = msg.get("content", {})
        if msg_type == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for other in self.by_msg_id.values():
                other.update_display(display_id, content, self.display_ids)
            return
        if cell is None:
            return
        if msg_type == "status" and content.get("execution_state") == "idle":
            cell.idle = True
            return
        if msg_type == "execute_input":
            cell.execution_count = content.get("execution_count")
            return
        before = len(cell.outputs)
        cell.add(msg_type, content)
        display_id = (content.get("transient") or {}).get("display_id")
        if display_id and len(cell.outputs) > before:
            self.display_ids[id(cell.outputs[-1])] = display_id

    def _drain(self, done, quiet, deadline):
        """Read iopub until done() and `quiet` seconds of silence, or deadline."""
        last = time.monotonic()
        while True:
            now = time.monotonic()
            if done() and now - last >= quiet:
                return True
            if now >= deadline:
                return False
            wait = min(0.1, max(0.01, deadline - now))
            try:
                msg = self.kc.get_iopub_msg(timeout=wait)
            except queue.Empty:
                if not self.km.is_alive():
                    raise CellFailure(f"[{self.name}] the kernel died")
                continue
            last = time.monotonic()
            self._route(msg)

    def run_cell(self, index, source, timeout):
        cell = CellOutputs(index)
        msg_id = self.kc.execute(source, store_history=True, allow_stdin=False)
        self.by_msg_id[msg_id] = cell
        deadline = time.monotonic() + timeout
        reply = None
        while reply is None:
            if time.monotonic() >= deadline:
                raise CellFailure(f"timed out after {timeout:g} s")
            try:
                msg = self.kc.get_shell_msg(timeout=0.1)
            except queue.Empty:
                if not self.km.is_alive():
                    raise CellFailure("the kernel died")
                self._drain(lambda: False, quiet=0, deadline=time.monotonic() + 0.01)
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                reply = msg
        # Deno may publish outputs after idle: keep listening until quiet.
        settled = self._drain(lambda: cell.idle, quiet=self.settle, deadline=deadline)
        if not settled:
            raise CellFailure(f"timed out after {timeout:g} s waiting for outputs")
        count = reply["content"].get("execution_count")
        cell.execution_count = count if count is not None else cell.execution_count
        return cell, reply["content"]


def execute_notebook(path, kernel, timeout, settle, log):
    """Execute the notebook at path; returns (notebook, failures)."""
    name = os.path.splitext(os.path.basename(path))[0]
    nb = nbformat.read(path, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    failures = []
    cwd = os.path.dirname(os.path.abspath(path))
    log(f"[{name}] executing {len(code_cells)} code cells with kernel {kernel!r}")
    with Executor(name, kernel, cwd, settle, log) as ex:
        for number, cell in enumerate(code_cells, start=1):
            label = f"[{name}] cell {number}/{len(code_cells)}"
            expected = expected_outputs(cell)
            cell_timeout = cell.get("metadata", {}).get("heaplab", {}).get("timeout", timeout)
            try:
                result, reply = ex.run_cell(number, cell.source, float(cell_timeout))
            except CellFailure as err:
                cell.outputs = []
                failures.append(f"{label} failed: {err}")
                log(failures[-1])
                break
            cell.outputs = result.outputs
            cell.execution_count = result.execution_count
            errors = [o for o in result.outputs if o.output_type == "error"]
            if errors or reply.get("status") == "error":
                detail = error_summary(errors[0]) if errors else error_summary(reply)
                failures.append(f"{label} raised {detail}")
                log(failures[-1])
                break
            if len(result.outputs) < expected:
                failures.append(
                    f"{label} produced {len(result.outputs)} outputs, expected at least {expected}"
                )
                log(failures[-1])
                continue
            log(f"{label} ok ({len(result.outputs)} outputs)")
    return nb, failures


def export_html(nb, html_path):
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(body)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook")
    parser.add_argument("--out", default="out/notebooks", help="output folder")
    parser.add_argument("--update", action="store_true", help="write outputs back")
    parser.add_argument("--timeout", type=float, default=300, help="per-cell seconds")
    parser.add_argument("--settle", type=float, default=0.75, help="quiet seconds after idle")
    parser.add_argument(
        "--kernel",
        default=os.environ.get("HEAPLAB_KERNEL", "deno"),
        help="kernelspec name (default: $HEAPLAB_KERNEL or deno)",
    )
    parser.add_argument("--no-html", action="store_true", help="skip the HTML export")
    args = parser.parse_args(argv)

    def log(line):
        print(line, flush=True)

    name = os.path.splitext(os.path.basename(args.notebook))[0]
    started = time.monotonic()
    try:
        nb, failures = execute_notebook(args.notebook, args.kernel, args.timeout, args.settle, log)
    except CellFailure as err:
        log(str(err))
        return 1
    os.makedirs(args.out, exist_ok=True)
    out_nb = os.path.join(args.out, name + ".ipynb")
    nbformat.write(nb, out_nb)
    if not args.no_html:
        export_html(nb, os.path.join(args.out, name + ".html"))
    elapsed = time.monotonic() - started
    if failures:
        log(f"[{name}] FAILED ({len(failures)} problem(s), {elapsed:.1f} s); see {out_nb}")
        return 1
    if args.update:
        nbformat.write(nb, args.notebook)
    log(f"[{name}] ok in {elapsed:.1f} s -> {out_nb}" + ("" if args.no_html else " (+ .html)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
