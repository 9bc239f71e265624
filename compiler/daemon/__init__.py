"""`strata daemon`: a resident fork server, so that a command does not pay Python's start-up,
strata's imports and pydantic's validator builds each time (docs/daemon.md).

- `protocol.py`  where the socket is, the fingerprint, how requests and replies are framed
- `context.py`   what a process inherits (argv, environment, cwd, umask, limits, signals...):
                 captured by the client, checked and applied by the child
- `client.py`    the client side of `strata`: send the request and fds, forward signals, exit
- `server.py`    `strata daemon start`: preload, listen, fork one child per connection
- `child.py`     the forked child: read the request, become the client's process, run the CLI

The client (compiler/launch.py, the console script) imports only the standard library's
os, sys, socket, struct and signal: without a daemon it costs ~1 ms more than before.
"""
