"""Talk to a running Saleor over HTTP, as a storefront, the staff and an app."""

import json
import time
import urllib.error
import urllib.request

TOKEN_CREATE = """
mutation Login($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) { token errors { code message } }
}"""


class HttpApi:
    def __init__(self, url: str):
        self.url = url
        self.tokens: dict[str, str] = {}

    def wait_until_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.post("{ shop { name } }", {}, None)
                return
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def log_in(self, as_: str, email: str, password: str) -> str:
        data = self.post(TOKEN_CREATE, {"email": email, "password": password}, None)
        result = data["data"]["tokenCreate"]
        if result["errors"] or not result["token"]:
            raise RuntimeError(f"Cannot log in {email}: {result['errors']}")
        self.tokens[as_] = result["token"]
        return result["token"]

    def post(self, query: str, variables: dict, as_: str | None) -> dict:
        headers = {"Content-Type": "application/json"}
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(self.url, body, headers, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
