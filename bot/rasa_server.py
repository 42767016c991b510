"""`rasa run` as the stack starts it, run by the Rasa environment's Python (not the app's).

One change to Rasa 3.6: it checks every custom action's response against its response schema
with ``jsonschema.validate``, which first validates the *schema itself* against the JSON Schema
2020-12 meta-schema: about 19 ms of CPU per call, to check a constant. Profiling the load bench
(py-spy) put 30 % of the Rasa server's CPU there. The schema is checked once here instead and the
compiled validator reused; a response that fails still goes through Rasa's own method, so the
error and its message are Rasa's.
"""

from __future__ import annotations

import sys
from typing import Any


def reuse_action_response_validator() -> None:
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction

    rasa_validate = RemoteAction._validate_action_result
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if exceptions.best_match(validator.iter_errors(result)) is None:
            return True
        return rasa_validate(self, result)  # raises Rasa's ValidationError, message and all

    RemoteAction._validate_action_result = validate_action_result


if __name__ == "__main__":
    reuse_action_response_validator()
    from rasa.__main__ import main

    sys.exit(main())
