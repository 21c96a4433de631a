"""Typer commands: parse, call one service, render. No azure, docker or kubernetes imports."""
