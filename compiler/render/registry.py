"""Kind → renderer. Each renderer module owns one output family."""
from __future__ import annotations

from compiler.render import Renderer
from compiler.render.dataset import DatasetRenderer
from compiler.render.job import JobRenderer
from compiler.render.notebook import NotebookRenderer
from compiler.render.pipeline import PipelineRenderer
from compiler.render.service import ServiceRenderer

RENDERERS: dict[str, Renderer] = {
    "Job": JobRenderer(),
    "Dataset": DatasetRenderer(),
    "Notebook": NotebookRenderer(),
    "Pipeline": PipelineRenderer(),
    "Service": ServiceRenderer(),
}
