from tests.support.meetings import coordinator, dticc, kr_coordinator, meeting_factory  # noqa: F401
