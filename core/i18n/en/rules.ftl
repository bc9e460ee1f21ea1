# Rules engine
rules-engine-failure = The rules could not be evaluated, so the action is not allowed. Contact the administrator.
rules-not-permitted = The facility's rules have no provision that allows this action.
rules-fail-closed = When in doubt, do not allow
