"""Approved WhatsApp message templates: what an agent may send after the 24-hour window.

WhatsApp allows free-form messages only within 24 hours of the follower's last message
(``bot.channels.windows``); afterwards only templates the brand had approved by Meta
(WhatsApp Manager → Message templates). carebot does not create them: it reads the approved ones
from a YAML file, ``CAREBOT_WHATSAPP_TEMPLATES`` (default ``config/whatsapp_templates.yml``)::

    templates:
      - name: order_follow_up          # as approved: lowercase letters, digits, _
        language: en_US                # the approved translation's code
        description: Follow up on an open question after 24 hours
        body: "Hi {{1}}, this is Ridgeline Outfitters following up: {{2}}"

The agent picks one and fills the body's parameters (``{{1}}`` …); it is sent as
``{"type": "template", "template": {"name", "language": {"code"}, "components": [{"type":
"body", "parameters": [{"type": "text", "text": …}]}]}}`` and the transcript records the body
with the parameters filled in. A missing file means no templates; a malformed one is an error
naming the problem (``TemplateError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

NAME = re.compile(r"^[a-z0-9_]{1,512}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
PARAM_MAX = 1024
BODY_MAX = 1024
MAX_TEMPLATES = 200


class TemplateError(ValueError):
    """A template file, or a template choice, that cannot be used."""


@dataclass(frozen=True)
class Template:
    """One approved template."""

    name: str
    language: str
    body: str
    description: str = ""

    @property
    def params(self) -> int:
        """How many body parameters (``{{1}}`` … ``{{n}}``) it takes."""
        found = {int(n) for n in PLACEHOLDER.findall(self.body)}
        return max(found) if found else 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "language": self.language, "body": self.body,
                "description": self.description, "params": self.params}

    def render(self, params: list[str]) -> str:
        """The body with the parameters filled in (what the transcript records)."""
        return PLACEHOLDER.sub(lambda m: params[int(m.group(1)) - 1], self.body)

    def payload(self, params: list[str]) -> dict[str, Any]:
        """The ``template`` object of the Cloud API's send."""
        body: dict[str, Any] = {"name": self.name, "language": {"code": self.language}}
        if params:
            body["components"] = [{"type": "body", "parameters": [
                {"type": "text", "text": p} for p in params]}]
        return body

    def check_params(self, params: Any) -> list[str]:
        """The agent's parameters, checked as WhatsApp checks them (``TemplateError``)."""
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            raise TemplateError("'params' must be a list of texts.")
        if len(params) != self.params:
            raise TemplateError(f"Template {self.name} takes {self.params} parameter(s), "
                                f"not {len(params)}.")
        cleaned = []
        for index, value in enumerate(params, start=1):
            value = value.strip()
            if not value or len(value) > PARAM_MAX:
                raise TemplateError(f"Parameter {index} must be 1-{PARAM_MAX} characters.")
            if any(c in value for c in "\n\t\r") or "     " in value:
                raise TemplateError(f"Parameter {index} cannot contain new lines, tabs or more "
                                    "than four spaces in a row (WhatsApp refuses them).")
            cleaned.append(value)
        return cleaned


def _template(entry: Any, index: int) -> Template:
    where = f"template {index + 1}"
    if not isinstance(entry, dict):
        raise TemplateError(f"{where}: expected a mapping with name, language and body")
    name, language, body = entry.get("name"), entry.get("language"), entry.get("body")
    if not isinstance(name, str) or not NAME.match(name):
        raise TemplateError(f"{where}: name must be lowercase letters, digits and _")
    if not isinstance(language, str) or not LANGUAGE.match(language):
        raise TemplateError(f"{where} ({name}): language must be a code such as en_US")
    if not isinstance(body, str) or not body.strip() or len(body) > BODY_MAX:
        raise TemplateError(f"{where} ({name}): body must be a text of 1-{BODY_MAX} characters")
    numbers = sorted({int(n) for n in PLACEHOLDER.findall(body)})
    if numbers != list(range(1, len(numbers) + 1)):
        raise TemplateError(f"{where} ({name}): placeholders must be {{{{1}}}}, {{{{2}}}}, … "
                            "without gaps")
    description = entry.get("description") or ""
    return Template(name, language, body, str(description)[:200])


def load(path: Path) -> list[Template]:
    """The templates of ``path`` (none when the file does not exist)."""
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path}: not readable YAML ({type(exc).__name__})") from None
    entries = (data or {}).get("templates") if isinstance(data or {}, dict) else None
    if entries is None:
        return []
    if not isinstance(entries, list) or len(entries) > MAX_TEMPLATES:
        raise TemplateError(f"{path}: 'templates' must be a list of at most {MAX_TEMPLATES}")
    found = [_template(entry, i) for i, entry in enumerate(entries)]
    keys = [(t.name, t.language) for t in found]
    if len(set(keys)) != len(keys):
        raise TemplateError(f"{path}: a template name and language is listed twice")
    return found


def find(templates: list[Template], name: Any, language: Any = None) -> Template:
    """The template an agent chose (``TemplateError`` when it is not an approved one)."""
    for template in templates:
        if template.name == name and language in (None, template.language):
            return template
    raise TemplateError("That is not one of the approved WhatsApp templates.")
