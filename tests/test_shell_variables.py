"""A shell's `${VAR}` in a command is left to the shell (issue 16); a near miss of a strata
reference is still an error, which also says how to write a shell variable."""
from __future__ import annotations

import pytest

from compiler.errors import StrataError
from compiler.pipeline import compile_repo
from repo_fixture import write_repo

# mpi-operator examples/v2beta1/nccl-tests/nccl-tests.yaml and the KServe huggingface runtime sample
SCRIPT = 'NP=$(($(cat /etc/mpi/hostfile | wc -l) * 8)); mpirun -np ${NP} --host ${workers[0]} -x ${X:-/mnt/models}'


def job(command: str) -> str:
    return f"""
    kind: Job
    name: train
    spec:
      image: ${{env.vars.registry}}/demo/train:1.0
      command: [bash, -c, '{command}']
    """


def test_shell_variables_pass_through_verbatim(tmp_path):
    build = compile_repo(write_repo(tmp_path, {"projects/demo/train.yaml": job(SCRIPT)}), envs=("dev",))
    [obj] = [e.obj for e in build.emitted if e.obj["kind"] == "Job"]
    main = obj["spec"]["template"]["spec"]["containers"][0]
    assert main["command"][2] == SCRIPT
    assert main["image"] == "reg.dev.local/demo/train:1.0"


@pytest.mark.parametrize("written, message", [
    ("${env.vars.registy}", "unknown reference ${env.vars.registy}; did you mean ${env.vars.registry}?"),
    ("${registry}", "unknown reference ${registry}; did you mean ${env.vars.registry}? "
                    "(for a shell variable write $${registry})"),
])
def test_a_near_miss_of_a_strata_reference_is_an_error(tmp_path, written, message):
    with pytest.raises(StrataError) as caught:
        compile_repo(write_repo(tmp_path, {"projects/demo/train.yaml": job(f"echo {written}")}), envs=("dev",))
    assert message in caught.value.problems[0].render()
