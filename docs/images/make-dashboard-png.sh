#!/usr/bin/env bash
# Makes docs/images/dashboard.png, the README's picture, from the real TUI:
# builds cozeauth, runs `cozeauth --sandbox` in a private tmux server at
# 80x24, walks the wizard (Enter on the form, a to approve, Enter after the
# probe), captures the dashboard with its colours (capture-pane -e) and
# renders that ANSI text to PNG with Charm's freeze (pinned; it needs only
# the Go module proxy). Needs tmux and pngquant (apt-get install tmux pngquant). Run from anywhere:
#   docs/images/make-dashboard-png.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

FREEZE=github.com/charmbracelet/freeze@v0.2.2
out=docs/images/dashboard.png
work=$(mktemp -d)
sock="$work/tmux.sock"
trap 'tmux -S "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/cozeauth" .

# No display and no browser: the consent screen offers `a` (approve as the
# sandbox user) and nothing opens a real browser.
tmux -S "$sock" -f /dev/null new-session -d -s shot -x 80 -y 24 \
  "env -u DISPLAY -u WAYLAND_DISPLAY -u BROWSER -u SSH_CONNECTION \
   -u COZE_CLIENT_ID -u COZE_PROFILE -u COZE_API_BASE -u COZE_API_TOKEN \
   TERM=xterm-256color COLORTERM=truecolor '$work/cozeauth' --sandbox; sleep 600"

# wait_for TEXT: until the pane shows TEXT (at most 30 s).
wait_for() {
  for _ in $(seq 300); do
    if tmux -S "$sock" capture-pane -p -t shot | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "make-dashboard-png: the screen never showed \"$1\":" >&2
  tmux -S "$sock" capture-pane -p -t shot >&2
  exit 1
}

wait_for "Sandbox mode"
tmux -S "$sock" send-keys -t shot Enter
wait_for "press a"
tmux -S "$sock" send-keys -t shot a
wait_for "Reachable"
tmux -S "$sock" send-keys -t shot Enter
wait_for "token dashboard"
wait_for "left"
sleep 1.5 # one tick of the countdown, so the bar is drawn as it lives

# The blank rows between the dashboard and its help line, squeezed to one.
# (freeze drops a last line that has no newline after it: one more is added.)
{ tmux -S "$sock" capture-pane -p -e -t shot | cat -s; echo; } > "$work/dashboard.ansi"
tmux -S "$sock" send-keys -t shot q

GOFLAGS= go run "$FREEZE" "$work/dashboard.ansi" -o "$work/big.png" \
  --window --padding 12 --margin 0 --font.size 7 --line-height 1.2 >/dev/null
# A small palette keeps the file small (pngquant, from apt).
pngquant --force --quality 60-90 --output "$out" 32 "$work/big.png"
echo "wrote $out ($(wc -c < "$out") bytes)"
