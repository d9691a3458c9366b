"""bot/rasa_ext/serve.py: ``run`` always gets the API token, added in the process (never on
its command line), and a token passed on the command line is refused."""

from __future__ import annotations

import pytest

from bot.rasa_ext.serve import SecretOnCommandLine, rasa_argv


def test_run_gets_the_token_as_auth_token_and_jwt_secret() -> None:
    argv = rasa_argv(["run", "--enable-api", "--port", "5005"], "tok")
    assert argv[:5] == ["rasa", "run", "--enable-api", "--port", "5005"]
    assert argv[argv.index("--auth-token") + 1] == "tok"
    assert argv[argv.index("--jwt-secret") + 1] == "tok"
    assert argv[argv.index("--jwt-method") + 1] == "HS256"


def test_other_commands_are_passed_through() -> None:
    assert rasa_argv(["data", "validate"], "tok") == ["rasa", "data", "validate"]


@pytest.mark.parametrize("arg", ["--auth-token", "--auth-token=x", "-t", "--jwt-secret"])
def test_secrets_on_the_command_line_are_refused(arg: str) -> None:
    with pytest.raises(SecretOnCommandLine):
        rasa_argv(["run", arg, "x"], "tok")
