"""The greeter project's dependency: present only where its requirements.txt was installed."""


def greeting(name: str) -> str:
    return f"Hello, {name}!"
