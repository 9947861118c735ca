@echo off
rem Starts the CopyBridge hub, and the terminals of the accounts with a path, when you log on to
rem Windows: a Task Scheduler task "CopyBridge hub" running  hub.cmd start --launch  in your session
rem (MetaTrader needs your desktop, so this is a logon task, not a service).
rem
rem   logon-task.cmd install   create (or replace) the task
rem   logon-task.cmd remove    delete it
rem   logon-task.cmd status    show it
rem   logon-task.cmd run       start it now
rem
rem Its data and logs are in this folder's data\ (see hub.cmd).
setlocal
set "TASK=CopyBridge hub"
if /i "%~1"=="install" goto install
if /i "%~1"=="remove" goto remove
if /i "%~1"=="status" goto status
if /i "%~1"=="run" goto run
echo usage: %~nx0 install ^| remove ^| status ^| run
exit /b 64

:install
schtasks /Create /F /TN "%TASK%" /SC ONLOGON /RL LIMITED /TR "\"%~dp0hub.cmd\" start --launch"
if errorlevel 1 (
  echo schtasks could not create the task ^(its message is above^); run this as the Windows user who trades
  exit /b 1
)
echo The hub now starts when you log on. Logs: %~dp0data\logs\
exit /b 0

:remove
schtasks /Delete /F /TN "%TASK%"
exit /b %ERRORLEVEL%

:status
schtasks /Query /V /FO LIST /TN "%TASK%"
exit /b %ERRORLEVEL%

:run
schtasks /Run /TN "%TASK%"
exit /b %ERRORLEVEL%
