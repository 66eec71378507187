"""Commands carried out by a running server: the command line while ``goldsieve serve`` holds
the embedded store.

The embedded store has one owner (its lock file), so a second process cannot open it. While it
serves, the server therefore also listens on the Unix socket ``cli.sock`` in the store's folder
(``data/`` by default, mode 0600) and runs the commands sent to it in its own process, against
its own runtime, under the store's own locking, like a request: there stays one writer. A
command that finds the store locked (:func:`forward`) sends its command line there and prints
what comes back: the same standard output and error, the same exit status.

What crosses the socket is a command line, never a shell: a command path that must name a
command marked :func:`forwarded`, and its parameters rebuilt from the values click already
checked, with paths made absolute (the server's working folder is not the command's). What a
command read from standard input before it opened the store (a password) is sent along as the
remote command's standard input. Frames carry a one-byte kind and a length, bounded. On Linux
both ends check the other's user id (``SO_PEERCRED``); elsewhere the socket's mode guards it.
"""
from __future__ import annotations

import contextvars
import datetime
import io
import json
import logging
import os
import socket
import socketserver
import stat
import struct
import sys
import threading
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, TypeVar

import click
from click.core import ParameterSource

from .. import locales
from .base import cli

if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger(__name__)

SOCKET = "cli.sock"
HEADER = struct.Struct(">cI")  # the frame's kind (r, o, e, x) and its payload's length
REQUEST_LIMIT = 1 << 20  # a command line and what it read from standard input
FRAME_LIMIT = 1 << 16  # one chunk of output
CHUNK = 8192

#: the runtime a forwarded command runs against (set in the server's command threads)
_served: contextvars.ContextVar["Runtime | None"] = contextvars.ContextVar("served", default=None)
#: where a command keeps what it read from standard input (in its click context's ``meta``)
CONSUMED = "goldsieve.consumed_input"

F = TypeVar("F", bound=click.Command)


def forwarded(command: F) -> F:
    """Mark a command that a running server may carry out (it reads or writes the store through
    :func:`goldsieve.cli.base.workspace_runtime` and nothing in it is tied to the caller's
    process). The others (``serve``, ``demo``, ``init``, ``worker``, ``store copy``) are
    refused by a held store with one line, as before."""
    command.forwarded = True  # type: ignore[attr-defined]
    return command


def served_runtime() -> "Runtime | None":
    """The server's runtime when the current command is being run for a command line, else None."""
    return _served.get()


def remember_input(text: str) -> None:
    """Keep what the current command read from standard input (or a prompt) before opening
    the store, so that, forwarded, it reads the same; kept with this invocation only."""
    click.get_current_context().meta.setdefault(CONSUMED, []).append(text)


def socket_path(folder: Path) -> Path:
    """Where the server of the embedded store in ``folder`` takes command lines."""
    return Path(folder) / SOCKET


@contextmanager
def _short(path: Path) -> Iterator[str]:
    """``path`` as an address a Unix socket accepts (about 100 bytes at most): a long one goes
    through the folder's descriptor (Linux's ``/proc/self/fd``)."""
    if len(os.fsencode(path)) < 100:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def _peer_uid(sock: socket.socket) -> int | None:
    """The user id of the process at the other end (Linux), else None (not told)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    size = struct.calcsize("3i")
    _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, size))
    return uid


def _send(sock: socket.socket, kind: bytes, payload: bytes) -> None:
    sock.sendall(HEADER.pack(kind, len(payload)) + payload)


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 16))
        if not chunk:
            raise ConnectionError("the other end closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(sock: socket.socket, limit: int) -> tuple[bytes, bytes]:
    kind, size = HEADER.unpack(_receive_exactly(sock, HEADER.size))
    if size > limit:
        raise ConnectionError(f"a frame of {size} bytes (at most {limit})")
    return kind, _receive_exactly(sock, size)


# --- the calling side ---------------------------------------------------------------------


def forward(ctx: click.Context, folder: Path) -> None:
    """Have the server that holds the store in ``folder`` run the current command, print its
    output and exit with its status. Returns (the caller then reports the held store) when the
    command is not one a server runs, or no server of this user listens there."""
    if not getattr(ctx.command, "forwarded", False):
        return
    path = socket_path(folder)
    try:
        found = path.lstat()
    except OSError:
        return
    if not stat.S_ISSOCK(found.st_mode) or found.st_uid != os.getuid():
        return
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _short(path) as address:
            sock.connect(address)
    except OSError:  # refused: a server that died without removing it
        sock.close()
        return
    with sock:
        if _peer_uid(sock) not in (None, os.getuid()):
            return
        shown: dict[str, str] = {}
        request = {
            "command": ctx.command_path.split()[1:],
            "argv": command_line(ctx, shown),
            "stdin": "".join(ctx.meta.get(CONSUMED, [])),
            "tty": {"stdout": sys.stdout.isatty(), "stderr": sys.stderr.isatty()},
            "lang": locales.reader.get() or "en",  # the caller's, not the server's shell's
        }
        _send(sock, b"r", json.dumps(request).encode())
        sys.exit(_relay(sock, shown))


def _relay(sock: socket.socket, shown: dict[str, str]) -> int:
    """Print the output frames as they come; the exit status that ends them. A path the
    command was given relative (and sent absolute) is printed as given, as the command would
    have; to find it whole, output then goes out by lines."""
    outputs = {b"o": sys.stdout.buffer, b"e": sys.stderr.buffer}
    pending = dict.fromkeys(outputs, b"")
    given = sorted(((a.encode(), t.encode()) for a, t in shown.items()), key=lambda p: -len(p[0]))

    def write(kind: bytes, data: bytes) -> None:
        for absolute, typed in given:
            data = data.replace(absolute, typed)
        outputs[kind].write(data)
        outputs[kind].flush()

    try:
        while True:
            kind, payload = _receive(sock, FRAME_LIMIT)
            if kind == b"x":
                for held, data in pending.items():
                    write(held, data)
                return int(payload)
            if kind in outputs:
                data = pending[kind] + payload
                cut = data.rfind(b"\n") + 1 if given and len(data) < FRAME_LIMIT else len(data)
                pending[kind] = data[cut:]
                write(kind, data[:cut])
    except (OSError, ValueError) as error:
        click.echo(f"Error: the server stopped answering before the command finished ({error}); "
                   "its log and the data say whether the command was carried out", err=True)
        return 1


def command_line(ctx: click.Context, shown: dict[str, str] | None = None) -> list[str]:
    """The command's parameters as a command line, rebuilt from what click checked: the ones
    given (on the command line or in the environment), paths absolute (``shown`` gets each
    relative one, absolute → as given); options first, then ``--`` and the arguments.
    ``--workspace`` is left out: the server runs its own."""
    options: list[str] = []
    arguments: list[str] = []
    for param in ctx.command.params:
        name = param.name or ""
        source = ctx.get_parameter_source(name)
        value = ctx.params.get(name)
        if name == "workspace" or source in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
            continue
        if isinstance(param, click.Argument):
            arguments.extend(_token(param, v, shown) for v in (value if param.nargs != 1 else [value]))
        elif isinstance(param, click.Option) and param.is_flag:
            if param.secondary_opts and not value:
                options.append(param.secondary_opts[0])
            elif value:
                options.append(param.opts[0])
        elif isinstance(param, click.Option) and value is not None:
            for one in (value if param.multiple else [value]):
                options.extend([param.opts[0], _token(param, one, shown)])
    return [*options, "--", *arguments]


def _token(param: click.Parameter, value: Any, shown: dict[str, str] | None) -> str:
    """One checked value as the text that ``param`` reads back into it."""
    if isinstance(value, os.PathLike):
        absolute = os.path.abspath(value)
        if shown is not None and absolute != os.fspath(value):
            shown[absolute] = os.fspath(value)
        return absolute
    if isinstance(param.type, click.File):  # a file click opens, or opens once written
        name = str(value.name)  # not opened by asking: a lazy file's name is its own
        return "-" if name.startswith("<") else os.path.abspath(name)  # <stdout>: the stream
    if isinstance(value, datetime.datetime) and isinstance(param.type, click.DateTime):
        return value.strftime(param.type.formats[0])
    return str(value)


# --- the serving side ---------------------------------------------------------------------


class _Streams:
    """A stand-in for ``sys.stdout`` (or ``stderr``, ``stdin``) that is the forwarded command's
    stream in that command's thread and the process's own everywhere else."""

    def __init__(self, default: Any):
        self.default = default
        self.local = threading.local()

    def current(self) -> Any:
        return getattr(self.local, "stream", None) or self.default

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.current())


class _Frames(io.RawIOBase):
    """Bytes written become frames of one kind on the connection; once the caller is gone the
    command goes on, its output dropped."""

    def __init__(self, sock: socket.socket, kind: bytes):
        super().__init__()
        self.sock, self.kind, self.gone = sock, kind, False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        data = bytes(data)
        for start in range(0, len(data), FRAME_LIMIT):
            if not self.gone:
                try:
                    _send(self.sock, self.kind, data[start:start + FRAME_LIMIT])
                except OSError:  # gone, or not reading for 30 s
                    self.gone = True
        return len(data)


class _Output(io.TextIOWrapper):
    """A command's standard output or error, a terminal when the caller's is one."""

    def __init__(self, raw: _Frames, tty: bool):
        super().__init__(io.BufferedWriter(raw, CHUNK), encoding="utf-8", line_buffering=True)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class _Handler(socketserver.BaseRequestHandler):
    """One command line: read the request, run the command, stream its output, say its status."""

    server: "_Server"

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5)  # the request comes at once; a stop waits for no idle connection
        try:
            kind, payload = _receive(sock, REQUEST_LIMIT)
            request = json.loads(payload) if kind == b"r" else None
            command, argv, stdin, tty, lang = _checked(request)
        except (OSError, ValueError) as error:
            log.warning("a command line was refused: %s", error)
            return
        sock.settimeout(30)
        out = _Output(_Frames(sock, b"o"), tty["stdout"])
        err = _Output(_Frames(sock, b"e"), tty["stderr"])
        code = self.server.run(command, argv, io.StringIO(stdin), out, err, lang)
        for stream in (out, err):
            stream.flush()
        try:
            _send(sock, b"x", str(code).encode())
        except OSError:
            pass  # the caller is gone: the command was carried out all the same


def _checked(request: Any) -> tuple[list[str], list[str], str, dict[str, bool], str]:
    """The request's parts, or ValueError when it is not a request of :func:`forward`'s."""
    if not isinstance(request, dict):
        raise ValueError("not a command request")
    command, argv, stdin, tty = (request.get(k) for k in ("command", "argv", "stdin", "tty"))
    lang = request.get("lang", "en")
    if not (isinstance(command, list) and isinstance(argv, list)
            and all(isinstance(a, str) for a in [*command, *argv]) and isinstance(stdin, str)
            and isinstance(tty, dict) and all(isinstance(tty.get(k), bool) for k in ("stdout", "stderr"))
            and lang in locales.LOCALES):
        raise ValueError("not a command request")
    return command, argv, stdin, tty, lang


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The socket, a thread per command line, the runtime they run against; closing it waits
    for the commands under way (``block_on_close``)."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: str, runtime: "Runtime"):
        self.runtime = runtime
        self.streams: dict[str, _Streams] = {}
        self.inode = 0
        super().__init__(address, _Handler, bind_and_activate=False)

    def server_bind(self) -> None:
        self.socket.bind(self.server_address)
        os.chmod(self.server_address, 0o600)  # before listen(): nobody connects before this

    def verify_request(self, request: Any, client_address: Any) -> bool:
        uid = _peer_uid(request)
        if uid not in (None, os.getuid()):
            log.warning("refused a command line from user id %s", uid)
            return False
        return True

    def run(self, command: list[str], argv: list[str], stdin: io.StringIO, out: _Output,
            err: _Output, lang: str = "en") -> int:
        """Run ``goldsieve COMMAND ARGV`` in this thread as the caller's process would: its
        output into ``out`` and ``err`` and in its language, its exit status returned."""
        if not getattr(_command(command), "forwarded", False):
            err.write(f"Error: a running server does not carry out goldsieve {' '.join(command)}\n")
            return 1
        with self._running(stdin, out, err):
            try:
                cli.main(args=["--lang", lang, *command, *argv], prog_name="goldsieve",
                         standalone_mode=True)
                return 0
            except SystemExit as error:
                if error.code is None or isinstance(error.code, int):
                    return error.code or 0
                print(error.code, file=err)
                return 1
            except Exception:  # what no command expected: the traceback Python would print
                log.exception("a forwarded command failed")
                err.write(traceback.format_exc())
                return 1

    @contextmanager
    def _running(self, stdin: io.StringIO, out: _Output, err: _Output) -> Iterator[None]:
        token = _served.set(self.runtime)
        given = {"stdin": stdin, "stdout": out, "stderr": err}
        for name, stream in self.streams.items():
            stream.local.stream = given[name]
        try:
            yield
        finally:
            for stream in self.streams.values():
                stream.local.stream = None
            _served.reset(token)


def _command(path: list[str]) -> click.Command | None:
    """The command ``goldsieve PATH…`` names, if any."""
    found: click.Command | None = cli
    for name in path:
        found = found.commands.get(name) if isinstance(found, click.Group) else None
    return found


@contextmanager
def commands_served(runtime: "Runtime") -> Iterator[None]:
    """While the body serves ``runtime`` on the embedded store, take command lines on
    ``cli.sock`` in the store's folder (for :func:`goldsieve.web.serving.serve`); the socket is
    gone afterwards."""
    folder = getattr(runtime.store, "folder", None)
    server = _listen(Path(folder), runtime) if folder is not None else None
    if server is None:
        yield
        return
    server.streams = {name: _Streams(getattr(sys, name)) for name in ("stdin", "stdout", "stderr")}
    for name, stream in server.streams.items():
        setattr(sys, name, stream)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="goldsieve-cli", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join()
        server.server_close()  # waits for the commands under way
        _remove(socket_path(Path(folder)), server.inode)
        for name, stream in server.streams.items():
            setattr(sys, name, stream.default)


def _listen(folder: Path, runtime: "Runtime") -> _Server | None:
    """The socket server, bound and listening; None (and a warning) where the folder is not
    this user's alone or the place is taken by something that is not a socket."""
    path = socket_path(folder)
    found = folder.stat()
    if found.st_uid != os.getuid() or found.st_mode & 0o022:
        log.warning("the command line cannot reach this server: %s is not only this user's to "
                    "change (chmod go-w it); commands that need the store fail while it serves", folder)
        return None
    try:
        if not stat.S_ISSOCK(path.lstat().st_mode):
            log.warning("the command line cannot reach this server: %s is not a socket", path)
            return None
        path.unlink()  # this process holds the store: a socket left there is a dead server's
        log.info("replaced the socket %s a stopped server left", path)
    except FileNotFoundError:
        pass
    with _short(path) as address:
        server = _Server(address, runtime)
        try:
            server.server_bind()
            server.server_activate()
        except OSError as error:
            server.server_close()
            log.warning("the command line cannot reach this server: %s: %s", path, error)
            return None
    server.inode = path.stat().st_ino
    return server


def _remove(path: Path, inode: int) -> None:
    """Remove the socket, if it is still the one this server made."""
    try:
        if path.lstat().st_ino == inode:
            path.unlink()
    except FileNotFoundError:
        pass
