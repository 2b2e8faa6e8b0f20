"""Garoon-shaped errors, shared by the REST and SOAP front ends."""

from __future__ import annotations


class GaroonError(Exception):
    """An error as Garoon reports it: HTTP status + errorCode/message/cause/counterMeasure."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        cause: str = "",
        counter_measure: str = "",
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.cause = cause
        self.counter_measure = counter_measure

    def rest_body(self) -> dict[str, object]:
        return {
            "error": {
                "errorCode": self.code,
                "message": self.message,
                "cause": self.cause,
                "counterMeasure": self.counter_measure,
                "developerInfo": "",
                "backtrace": [],
            }
        }


def not_found_event() -> GaroonError:
    # Garoon uses one code for "missing" and "not visible to you" so ids cannot be probed.
    return GaroonError(
        404,
        "GRN_SCHD_13001",
        "The specified event was not found.",
        "The event does not exist or you do not have permission to view it.",
        "Check the event id and your access rights.",
    )


def no_permission(what: str = "this operation") -> GaroonError:
    return GaroonError(
        403,
        "GRN_CMMN_00022",
        "You cannot perform this operation.",
        f"You do not have permission for {what}.",
        "Ask your administrator for access rights.",
    )


def bad_param(param: str, detail: str = "", code: str = "GRN_REST_API_00202") -> GaroonError:
    return GaroonError(400, code, "Invalid parameter.", detail or f"{param} is not valid.", "")


def missing_param(param: str) -> GaroonError:
    return GaroonError(
        400, "GRN_REST_API_00201", "Invalid parameter.", f"Missing required parameter: {param}", ""
    )


def invalid_end() -> GaroonError:
    return GaroonError(
        400,
        "GRN_SCHD_13011",
        "The end date and time is invalid.",
        "The end must be after the start.",
        "Specify an end later than the start.",
    )


def auth_missing() -> GaroonError:
    return GaroonError(
        401, "GRN_REST_API_00003", "Authentication failed.", "No authentication information.", ""
    )


def auth_malformed() -> GaroonError:
    return GaroonError(
        401,
        "GRN_REST_API_00001",
        "Authentication failed.",
        "Invalid X-Cybozu-Authorization header.",
        "",
    )


def login_failed() -> GaroonError:
    return GaroonError(
        401,
        "FW00007",
        "Cannot log in.",
        "The login name or password is incorrect.",
        "Check the login name and password and try again.",
    )
