@echo off
rem Regenerate the gRPC code (same as `make proto`): one implementation, scripts\proto_compile.py.
set ROOT=%~dp0..\..
if exist "%ROOT%\.venv\Scripts\python.exe" (set PY="%ROOT%\.venv\Scripts\python.exe") else (set PY=python)
%PY% "%ROOT%\scripts\proto_compile.py"
