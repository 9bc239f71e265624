"""The CI examples that `strata init` writes (examples/ci/ links to them) and the pre-commit hook.

Every `strata ...` command line in them is checked against the real click options of the
command it calls, and the sharded compile's lines build a starter repository's out/; the shell and Python snippets they carry are run here for real (the
base-revision fallback in a scratch git repository, the GitLab sticky note against a loopback
HTTP server that speaks the notes API's paging).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest
import yaml

from compiler.cli import main
from conftest import ROOT

GITHUB = "examples/ci/github-actions.yaml"
GITLAB = "examples/ci/gitlab-ci.yaml"
HOOKS = ".pre-commit-hooks.yaml"
EXAMPLES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples" / "ci").glob("*.y*ml"))


def load(path: str):
    return yaml.safe_load((ROOT / path).read_text())


def strings(node) -> list[str]:
    """Every string in a parsed YAML document (the shell scripts, wherever they are nested)."""
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


SHELL_KEYS = ("run", "script", "before_script", "after_script", "entry")   # where commands are, not step names


def shell_texts(node) -> list[str]:
    """The shell code of a CI file: GitHub `run`, GitLab `*script`, pre-commit `entry`."""
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in (strings(v) if k in SHELL_KEYS else shell_texts(v))]
    if isinstance(node, list):
        return [t for v in node for t in shell_texts(v)]
    return []


def strata_lines(path: str) -> list[str]:
    """Each shell command line that runs strata (continuations joined, comments skipped)."""
    found = []
    for text in shell_texts(load(path)):
        for line in text.replace("\\\n", " ").splitlines():
            for command in re.split(r"&&|;|\|", line.strip()):
                command = command.strip()
                if command.startswith("strata ") and not line.strip().startswith("#"):
                    found.append(command)
    return found


def _options(command: click.Command) -> dict[str, click.Option]:
    return {name: p for p in command.params if isinstance(p, click.Option) for name in p.opts + p.secondary_opts}


def _positionals(command: click.Command, tokens: list[str]) -> list[str]:
    """Check every option of `tokens` against `command`; return the positional arguments."""
    options, positionals, index = _options(command), [], 0
    while index < len(tokens):
        token = tokens[index]
        if token.startswith("-") and token != "-":
            name, equals, value = token.partition("=")
            assert name in options, f"strata {command.name}: no option {name} (it has {', '.join(sorted(options))})"
            option = options[name]
            if option.is_flag or option.count:
                assert not equals, f"strata {command.name}: {name} takes no value"
            else:
                if not equals:
                    index += 1
                    assert index < len(tokens), f"strata {command.name}: {name} needs a value"
                    value = tokens[index]
                if isinstance(option.type, click.Choice) and "$" not in value:
                    assert value in option.type.choices, f"strata {command.name} {name}: {value!r} is not a choice"
        else:
            positionals.append(token)
        index += 1
    return positionals


def _without_redirections(tokens: list[str]) -> list[str]:
    """`> file`, `>> file`, `2>&1`: the shell's business, not strata's arguments."""
    kept, skip = [], False
    for token in tokens:
        if skip:
            skip = False
        elif re.fullmatch(r"\d?>>?", token):
            skip = True
        elif not re.fullmatch(r"\d?>>?&?\S+", token):
            kept.append(token)
    return kept


def check_command_line(line: str) -> None:
    tokens = _without_redirections(shlex.split(line))
    assert tokens[0] == "strata"
    rest = tokens[1:]
    split = next(i for i, t in enumerate(rest) if not t.startswith("-") and (i == 0 or not rest[i - 1].startswith("--repo")))
    assert _positionals(main, rest[:split]) == []
    name, args = rest[split], rest[split + 1:]
    command = main.get_command(click.Context(main), name)
    assert command is not None, f"no command `strata {name}`"
    positionals = _positionals(command, args)
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    required = sum(1 for a in arguments if a.required)
    most = float("inf") if any(a.nargs == -1 for a in arguments) else sum(max(a.nargs, 1) for a in arguments)
    assert required <= len(positionals) <= most, f"strata {name}: arguments {positionals}"


COMMAND_LINES = [(path, line) for path in (*EXAMPLES, HOOKS) for line in strata_lines(path)]


@pytest.mark.parametrize(("path", "line"), COMMAND_LINES, ids=[f"{p}: {line}" for p, line in COMMAND_LINES])
def test_every_strata_command_line_uses_real_options(path, line):
    check_command_line(line)


def test_both_files_validate_plan_and_apply_the_saved_live_plan():
    for path in (GITHUB, GITLAB):
        lines = [shlex.split(line) for line in strata_lines(path)]
        assert {"validate", "plan", "apply"} <= {tokens[1] for tokens in lines}, path
        saved = {tokens[i + 1] for tokens in lines if tokens[1] == "plan" and "--live" in tokens
                 for i, t in enumerate(tokens) if t == "--out"}
        applies = [tokens for tokens in lines if tokens[1] == "apply"]
        assert applies, path
        for tokens in applies:       # apply refuses a --base plan: the saved plan must be a live one
            assert "--env" in tokens and tokens[tokens.index("--plan") + 1] in saved, (path, tokens)


def test_the_checker_rejects_what_the_cli_would():
    for bad in ("strata plan --bsae origin/main", "strata validate --crds", "strata plan --format yaml",
                "strata compile extra-argument", "strata nonsense"):
        with pytest.raises(AssertionError):
            check_command_line(bad)


def test_every_example_installs_the_pinned_strata():
    for path in EXAMPLES:
        installs = [line for text in shell_texts(load(path)) for line in text.splitlines() if "pip install" in line]
        assert installs and all("-r requirements-strata.txt" in line for line in installs), path


def test_examples_are_the_files_strata_init_writes():
    templates = ROOT / "compiler" / "templates" / "repo"
    assert (ROOT / GITHUB).resolve() == (templates / "dot-github" / "workflows" / "strata.yaml").resolve()
    assert (ROOT / GITLAB).resolve() == (templates / "dot-gitlab-ci.yml").resolve()


# --- GitHub Actions ---------------------------------------------------------------------------

def test_github_runs_on_every_pull_request_and_degrades_on_forks():
    workflow = load(GITHUB)
    assert workflow[True] == {"pull_request": None, "push": {"branches": ["main"]}}   # YAML 1.1: `on` is True
    plan = workflow["jobs"]["plan"]
    text = "\n".join(strings(plan))
    assert plan["permissions"]["pull-requests"] == "write"
    assert "<!-- strata-plan -->" in text and "github.paginate" in text
    assert "error.status !== 403" in text and "core.warning" in text        # a fork's read-only token
    assert 'cat plan.md >> "$GITHUB_STEP_SUMMARY"' in text                  # always in the summary


def test_github_applies_each_environment_of_the_starter_repo_with_its_saved_plan():
    jobs = load(GITHUB)["jobs"]
    live, apply = jobs["plan-live"], jobs["apply"]
    assert live["strategy"]["matrix"]["env"] == apply["strategy"]["matrix"]["env"] == starter_environments()
    assert live["environment"] == "${{ matrix.env }}-read"                   # read-only credentials
    assert apply["environment"] == "${{ matrix.env }}" and apply["needs"] == "plan-live"
    assert apply["concurrency"]["cancel-in-progress"] is False and apply["strategy"]["max-parallel"] == 1
    uploaded = next(s["with"]["name"] for s in live["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    downloaded = next(s["with"]["name"] for s in apply["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    assert uploaded == downloaded == "strata-plan-${{ matrix.env }}"


# --- GitLab CI --------------------------------------------------------------------------------

def test_gitlab_plans_merge_requests_and_applies_each_environment():
    ci = load(GITLAB)
    assert ci["plan"]["artifacts"]["paths"] == ["plan.md", "plan.json"]
    envs = starter_environments()
    assert [ci[f"apply:{env}"]["environment"]["name"] for env in envs] == envs
    assert [ci[f"plan-live:{env}"]["environment"] for env in envs] == [{"name": f"{env}-read", "action": "prepare"}
                                                                      for env in envs]
    assert ci["apply:dev"]["needs"] == ["plan-live:dev"]
    assert ci["apply:prod"]["rules"][0]["when"] == "manual" and ci["apply:prod"]["needs"] == ["plan-live:prod", "apply:dev"]
    for job in ("validate", "plan"):
        assert "changes" not in json.dumps(ci[job].get("rules", []))      # required checks always run


def starter_environments() -> list[str]:
    folder = ROOT / "compiler" / "templates" / "repo" / "environments"
    return sorted(yaml.safe_load(p.read_text())["name"] for p in folder.glob("*.yaml"))


# --- the base revision of a push -------------------------------------------------------------

def _fallback_script(path: str) -> str:
    """The shell lines of the push plan step that pick the base revision, up to `strata plan`."""
    text = next(s for s in strings(load(path)) if 'base="$' in s)
    return text.split("strata plan")[0]


@pytest.mark.parametrize(("path", "variable"), [(GITHUB, "BEFORE"), (GITLAB, "CI_COMMIT_BEFORE_SHA")])
def test_base_falls_back_to_the_previous_commit_when_before_is_zeros_or_unknown(tmp_path, path, variable):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    for message in ("one", "two", "three"):
        subprocess.run([*git, "-C", str(tmp_path), "commit", "-q", "--allow-empty", "-m", message], check=True)
    sha = {ref: subprocess.run(["git", "-C", str(tmp_path), "rev-parse", ref], capture_output=True, text=True,
                               check=True).stdout.strip() for ref in ("HEAD~1", "HEAD~2")}
    script = _fallback_script(path) + 'echo "$base"\n'
    for before, expected in (("0" * 40, sha["HEAD~1"]), ("f" * 40, sha["HEAD~1"]), ("", sha["HEAD~1"]),
                             (sha["HEAD~2"], sha["HEAD~2"])):
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True,
                                text=True, env={**os.environ, variable: before})
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected, before


@pytest.mark.parametrize(("path", "variable"), [(GITHUB, "BEFORE"), (GITLAB, "CI_COMMIT_BEFORE_SHA")])
def test_base_of_the_first_commit_is_an_empty_commit(tmp_path, path, variable):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "strata.yaml").write_text("output: out\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                    "commit", "-q", "-m", "first"], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    script = _fallback_script(path) + 'git rev-parse "$base^{tree}"\n'
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            env={**env, variable: "0" * 40, "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    empty_tree = subprocess.run(["git", "hash-object", "-t", "tree", "/dev/null"], capture_output=True, text=True,
                                check=True).stdout.strip()
    assert result.stdout.strip() == empty_tree


# --- the GitLab sticky note, against a loopback notes API ------------------------------------

MARKER = "<!-- strata-plan -->"


class NotesApi:
    """GitLab's merge request notes API, as much as the note script uses: GET pages (per_page,
    page, X-Next-Page empty on the last), PUT one note, POST a note; `status` forces an error."""

    def __init__(self, notes: list[dict], status: int = 200):
        self.notes, self.status, self.calls = notes, status, []

    def handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                api.calls.append((self.command, self.path, self.headers.get("PRIVATE-TOKEN"), body))
                return body

            def do_GET(self):
                self._record()
                if api.status != 200:
                    return self._reply(api.status, {"message": "403 Forbidden"})
                query = dict(part.split("=") for part in self.path.split("?")[1].split("&"))
                page, size = int(query["page"]), int(query["per_page"])
                batch = api.notes[(page - 1) * size: page * size]
                more = page * size < len(api.notes)
                self._reply(200, batch, [("X-Next-Page", str(page + 1) if more else "")])

            def do_PUT(self):
                body = self._record()
                self._reply(200, {"id": int(self.path.rsplit("/", 1)[1]), **body})

            def do_POST(self):
                body = self._record()
                self._reply(201, {"id": 9999, **body})

        return Handler


def run_note_script(tmp_path: Path, api: NotesApi | None, token: str | None = "glpat-test", status: str = "success"):
    script = next(s for s in strings(load(GITLAB)["plan"]["after_script"]) if "python - <<'PY'" in s)
    code = script.split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]
    if status == "success":
        (tmp_path / "plan.md").write_text(f"{MARKER}\nPlan: 1 to add, 0 to change, 0 to destroy.\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), api.handler() if api else BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {"PATH": os.environ["PATH"], "CI_API_V4_URL": f"http://127.0.0.1:{server.server_port}/api/v4",
           "CI_MERGE_REQUEST_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "7", "CI_JOB_STATUS": status,
           "CI_COMMIT_SHORT_SHA": "abc123", "CI_JOB_URL": "https://gitlab.example.com/g/p/-/jobs/5"}
    if token:
        env["STRATA_BOT_TOKEN"] = token
    try:
        return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=60)
    finally:
        server.shutdown()
        server.server_close()


def _notes(count: int, ours_at: int | None = None) -> list[dict]:
    return [{"id": i, "body": (MARKER + "\nold plan") if i == ours_at else f"comment {i}"} for i in range(count)]


def test_note_script_finds_its_note_beyond_the_first_page_and_updates_it(tmp_path):
    api = NotesApi(_notes(250, ours_at=230))
    result = run_note_script(tmp_path, api)
    assert result.returncode == 0, result.stderr
    gets = [c for c in api.calls if c[0] == "GET"]
    assert [c[1].split("page=")[-1] for c in gets] == ["1", "2", "3"]
    assert gets[0][1] == "/api/v4/projects/42/merge_requests/7/notes?per_page=100&sort=asc&order_by=created_at&page=1"
    (put,) = [c for c in api.calls if c[0] == "PUT"]
    assert put[1].endswith("/notes/230") and put[2] == "glpat-test" and put[3]["body"].startswith(MARKER)
    assert not [c for c in api.calls if c[0] == "POST"]


def test_note_script_creates_the_note_when_there_is_none(tmp_path):
    api = NotesApi(_notes(3))
    result = run_note_script(tmp_path, api)
    assert result.returncode == 0, result.stderr
    assert [c[0] for c in api.calls] == ["GET", "POST"]


def test_note_script_says_when_the_plan_failed_and_leaves_a_canceled_run_alone(tmp_path):
    api = NotesApi(_notes(3, ours_at=1))
    result = run_note_script(tmp_path, api, status="failed")
    assert result.returncode == 0, result.stderr
    (put,) = [c for c in api.calls if c[0] == "PUT"]
    assert put[3]["body"].startswith(MARKER) and "plan failed** for abc123" in put[3]["body"]
    assert "https://gitlab.example.com/g/p/-/jobs/5" in put[3]["body"]
    api = NotesApi(_notes(3, ours_at=1))
    assert run_note_script(tmp_path, api, status="canceled").returncode == 0 and api.calls == []


def test_note_script_without_a_token_or_write_access_prints_instead_of_failing(tmp_path):
    result = run_note_script(tmp_path, None, token=None)
    assert result.returncode == 0 and "no STRATA_BOT_TOKEN" in result.stdout
    api = NotesApi(_notes(3), status=403)
    result = run_note_script(tmp_path, api)
    assert result.returncode == 0, result.stderr
    assert "HTTP 403" in result.stdout and [c[0] for c in api.calls] == ["GET"]


# --- pre-commit ---------------------------------------------------------------------------------

def test_pre_commit_hook_validates_the_whole_repository():
    (hook,) = load(HOOKS)
    assert hook["id"] == "strata-validate" and hook["entry"] == "strata validate"
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    assert re.search(hook["files"], "crds/cluster.yaml") and re.search(hook["files"], "projects/a/b.yaml")


# --- the GitHub sticky comment, with github-script's objects stubbed in node -----------------

GITHUB_HARNESS = """
const calls = [];
const [comments, failWith] = [JSON.parse(process.argv[2]), Number(process.argv[3])];
const fail = (what) => { if (failWith) { const e = new Error(what); e.status = failWith; throw e; } };
const github = {
  paginate: async (method, params) => { calls.push(['list', params.per_page]); fail('list'); return comments; },
  rest: { issues: {
    listComments: 'listComments',
    updateComment: async (p) => { fail('update'); calls.push(['update', p.comment_id, p.body]); },
    createComment: async (p) => { fail('create'); calls.push(['create', p.issue_number, p.body]); },
  } },
};
const context = { repo: { owner: 'acme', repo: 'config' }, issue: { number: 7 }, sha: 'abcdef0123456789',
                  serverUrl: 'https://github.com', runId: 99 };
const core = { warning: (m) => calls.push(['warning', m]) };
(async () => { %s })().then(() => console.log(JSON.stringify(calls)),
                           (e) => { console.log(JSON.stringify(calls)); console.error(String(e)); process.exit(1); });
"""


def run_comment_script(tmp_path: Path, comments: list[dict], fail_with: int = 0, plan: bool = True):
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node to run the github-script step")
    step = next(s for s in load(GITHUB)["jobs"]["plan"]["steps"] if s.get("uses", "").startswith("actions/github-script"))
    if plan:
        (tmp_path / "plan.md").write_text(f"{MARKER}\nPlan: 1 to add.\n")
    (tmp_path / "harness.js").write_text(GITHUB_HARNESS % step["with"]["script"])
    result = subprocess.run([node, "harness.js", json.dumps(comments), str(fail_with)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    return result, json.loads(result.stdout or "[]")


def test_github_comment_updates_its_own_comment_or_creates_one(tmp_path):
    ours = {"id": 5, "user": {"type": "Bot"}, "body": MARKER + "\nold"}
    someone = {"id": 4, "user": {"type": "User"}, "body": MARKER + "\nquoted by a person"}
    result, calls = run_comment_script(tmp_path, [someone, ours])
    assert result.returncode == 0, result.stderr
    assert calls == [["list", 100], ["update", 5, f"{MARKER}\nPlan: 1 to add.\n"]]
    result, calls = run_comment_script(tmp_path, [someone])
    assert calls[-1][:2] == ["create", 7]


def test_github_comment_on_a_read_only_token_warns_and_a_failed_plan_says_so(tmp_path):
    result, calls = run_comment_script(tmp_path, [], fail_with=403)
    assert result.returncode == 0, result.stderr
    assert calls[-1][0] == "warning" and "job summary" in calls[-1][1]
    result, calls = run_comment_script(tmp_path, [], fail_with=500)
    assert result.returncode == 1                                   # other errors still fail the step
    no_plan = tmp_path / "no-plan"
    no_plan.mkdir()
    result, calls = run_comment_script(no_plan, [], plan=False)
    assert calls[-1][0] == "create" and "plan failed** for abcdef012345" in calls[-1][2]
    assert "https://github.com/acme/config/actions/runs/99" in calls[-1][2]


# --- compile in shards, merge, publish -------------------------------------------------------------

def _job_lines(job: dict) -> list[str]:
    return [line for text in shell_texts(job) for line in text.replace("\\\n", " ").splitlines()
            if line.strip().startswith("strata ")]


def test_github_compiles_four_shards_merges_them_and_publishes_the_merged_output():
    jobs = load(GITHUB)["jobs"]
    compile_job, merge, publish = jobs["compile"], jobs["merge"], jobs["publish"]
    assert compile_job["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert _job_lines(compile_job) == ['strata compile --shard "${{ matrix.shard }}/4" --out "shards/shard-${{ matrix.shard }}"']
    upload = next(s for s in compile_job["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == "strata-shard-${{ matrix.shard }}" and upload["with"]["path"] == "shards/"
    assert merge["needs"] == "compile"
    download = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"] == {"pattern": "strata-shard-*", "path": "shards", "merge-multiple": True}
    assert _job_lines(merge) == ["strata merge " + " ".join(f"shards/shard-{k}" for k in range(1, 5)) + " --out out"]
    uploaded = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))["with"]
    assert publish["needs"] == "merge" and publish["concurrency"]["cancel-in-progress"] is False
    fetched = next(s for s in publish["steps"] if s.get("uses", "").startswith("actions/download-artifact"))["with"]
    assert fetched == {"name": uploaded["name"], "path": "out"} and uploaded["path"] == "out/"
    assert [line.strip() for line in _job_lines(publish)] == [
        'strata publish --env "$env" --push --remote "$RENDERED_REPO"']
    assert "vars.STRATA_PUBLISH_ENVS != ''" in publish["if"]


def test_gitlab_compiles_four_shards_merges_them_and_publishes_the_merged_output():
    ci = load(GITLAB)
    assert ci["compile"]["parallel"] == 4 and ci["compile"]["artifacts"]["paths"] == ["shards/"]
    assert _job_lines(ci["compile"]) == [
        'strata compile --shard "$CI_NODE_INDEX/$CI_NODE_TOTAL" --out "shards/shard-$CI_NODE_INDEX"']
    assert ci["merge"]["needs"] == ["compile"] and ci["merge"]["artifacts"]["paths"] == ["out/"]
    assert ci["publish"]["needs"] == ["merge"] and ci["publish"]["resource_group"] == "strata-publish"
    assert "$STRATA_PUBLISH_ENVS" in ci["publish"]["rules"][0]["if"]
    assert ci["stages"].index("compile") < ci["stages"].index("merge") < ci["stages"].index("publish")


@pytest.mark.parametrize("path", [GITHUB, GITLAB])
def test_the_shard_and_merge_lines_build_a_starter_repos_output(tmp_path, path):
    """The compile line, once per shard with the CI's variables filled in, then the merge line, run
    in a `strata init` repository: out/ is what one `strata compile` writes."""
    from test_scaffold import init, strata

    repo = init(tmp_path)
    jobs = load(path)["jobs"] if path == GITHUB else load(path)
    (compile_line,), (merge_line,) = _job_lines(jobs["compile"]), _job_lines(jobs["merge"])
    for k in range(1, 5):
        filled = (compile_line.replace("${{ matrix.shard }}", str(k))
                  .replace("$CI_NODE_INDEX", str(k)).replace("$CI_NODE_TOTAL", "4"))
        result = strata(*shlex.split(filled)[1:], cwd=repo)
        assert result.exit_code == 0, result.output
    result = strata(*shlex.split(merge_line)[1:], cwd=repo)
    assert result.exit_code == 0 and result.output.startswith("Merged 4 shards"), result.output
    assert strata("compile", "--out", str(tmp_path / "full"), cwd=repo).exit_code == 0
    files = {p.relative_to(repo / "out").as_posix(): p.read_bytes() for p in (repo / "out").rglob("*") if p.is_file()}
    full = {p.relative_to(tmp_path / "full").as_posix(): p.read_bytes()
            for p in (tmp_path / "full").rglob("*") if p.is_file()}
    assert files == full
