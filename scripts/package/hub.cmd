@echo off
rem CopyBridge {{VERSION}}: the hub, on the Node.js {{NODE}} in node\ (nothing to install).
rem It runs in this folder: the data folder (accounts, ledger) is data\, the daily log files are
rem data\logs\hub-<date>.log, and a copybridge.json here is read. Give other files as full paths.
setlocal
cd /d "%~dp0"
if not defined COPYBRIDGE_LOG_FILE set "COPYBRIDGE_LOG_FILE=%~dp0data\logs\hub.log"
"%~dp0node\node.exe" "%~dp0app\bin\hub.js" %*
exit /b %ERRORLEVEL%
