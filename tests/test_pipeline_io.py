"""Pipeline step inputs/outputs, forEachFrom, onExit and workspace (issue 16): what a step reads
must be an output of a step it runs after."""
from __future__ import annotations

import pytest
from repo_fixture import compile_errors, write_repo

PIPELINE = """
    kind: Pipeline
    name: flow
    spec:
      onExit: {image: "alpine:3.20", command: [sh, -c, "echo {{workflow.status}}"]}
      steps:
        - name: train
          outputs: {artifacts: [{name: model, path: /out/model}], parameters: [{name: acc, path: /out/acc}]}
          container: {image: "reg/train:1.0"}
        - name: evaluate
          after: [train]
          inputs: INPUTS
          container: {image: "reg/eval:1.0", args: ["{{inputs.parameters.acc}}"]}
    """


@pytest.mark.parametrize("inputs, message", [
    ("{artifacts: [{name: m, from: train.weights, path: /in}]}",
     "step 'evaluate': step 'train' has no output artifact 'weights' (known: model)"),
    ("{parameters: [{name: acc, from: train.loss}]}", "step 'train' has no output parameter 'loss' (known: acc)"),
    ("{parameters: [{name: acc, from: prepare.acc}]}",
     "step 'evaluate': 'prepare.acc' is an output of 'prepare', which is not in its `after`"),
])
def test_an_input_must_name_an_output_of_a_step_it_runs_after(tmp_path, inputs, message):
    text = compile_errors(write_repo(tmp_path, {"projects/demo/flow.yaml": PIPELINE.replace("INPUTS", inputs)}))
    assert message in text and "projects/demo/flow.yaml:" in text


def test_inputs_and_outputs_only_on_container_steps(tmp_path):
    pipeline = PIPELINE.replace("INPUTS", "{}").replace('container: {image: "reg/eval:1.0", args: ["{{inputs.parameters.acc}}"]}',
                                                        "template: some-preset")
    assert "step 'evaluate': inputs and outputs go with a `container` step" in \
        compile_errors(write_repo(tmp_path, {"projects/demo/flow.yaml": pipeline}))
