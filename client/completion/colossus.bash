# bash completion for colossus(1).  Installed as
# $(datadir)/bash-completion/completions/colossus, where bash-completion
# loads it on first use; or source it from ~/.bashrc.
#
# Commands and subcommands are listed here; each command's options and
# --format columns are read from `colossus CMD --help` (so they follow
# the client that is installed, without a network call).  Job ids come
# from `colossus jobs --format id --no-header`, node names from
# `colossus nodes --format name --no-header`, QOS and reservation names
# from their lists: those ask the controller, with a short timeout.

_colossus_cmds="submit cancel jobs queue job show why hold release nodes racks qos reservation history report whoami version topology drain resume events health node breaker rack help"

# Event kinds for colossus events --kind (prefixes work too).
_colossus_event_kinds="node_ node_drain node_drained node_resume node_down node_up node_degraded node_healthy node_validating node_validation_failed node_rma node_lemon rack_ rack_drain rack_drained rack_resume rack_health rack_degraded rack_power rack_lost health xid alarm remediation breaker_open breaker_reset job_ job_hang job_preempted gpu_backend switch_fault topology_changed reservation_created reservation_deleted qos_set qos_removed power_limit power_drop controller_active"

# Global options that take a value.
_colossus_global_valued="-c --config --controller --cert --key --ca --timeout --connect-timeout"

# Ask the controller, quietly and quickly; forward the connection options
# already on the command line.
_colossus_ask() {
	local conn=() i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-c | --config | --controller | --cert | --key | --ca)
			conn+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}")
			;;
		--config=* | --controller=* | --cert=* | --key=* | --ca=*)
			conn+=("${COMP_WORDS[i]}")
			;;
		esac
	done
	"${COMP_WORDS[0]}" "${conn[@]}" --connect-timeout 2s --timeout 3s \
		"$@" 2>/dev/null
}

# Options (--long and -s) of a command, from its --help.
_colossus_opts() {
	"${COMP_WORDS[0]}" help "$@" 2>/dev/null |
		sed -n 's/^ \{2,6\}\(-[A-Za-z0-9]\)\{0,1\},\{0,1\} *\(--[a-z][a-z0-9-]*\).*/\1 \2/p' |
		tr ' ' '\n' | grep -- '^-'
}

# Rack, pod or hall names (from the rack list), one per line.
_colossus_racks() {
	_colossus_ask racks --list --format "${1:-name}" --no-header | sort -u
}

# --format column names of a command, from its --help.
_colossus_columns() {
	"${COMP_WORDS[0]}" help "$@" 2>/dev/null |
		sed -n '/^Columns for --format/,/^  default:/s/^  \([a-z_]*\)  .*/\1/p'
}

_colossus() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -n = || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	# Find the command (and subcommand) among the words typed so far.
	local i w cmd="" sub="" skip=0
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if ((skip)); then
			skip=0
			continue
		fi
		case " $_colossus_global_valued " in
		*" $w "*)
			skip=1
			continue
			;;
		esac
		[[ $w == -* ]] && continue
		if [[ -z $cmd ]]; then
			cmd=$w
		elif [[ -z $sub ]]; then
			case $cmd in
			job | qos | reservation | topology | node | breaker | rack | help) sub=$w ;;
			esac
			break
		fi
	done

	case $prev in
	-c | --config | --cert | --key | --ca)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--controller | --timeout | --connect-timeout)
		return
		;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$(_colossus_opts) -V --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_colossus_cmds" -- "$cur"))
		fi
		return
	fi

	local full=$cmd
	case $cmd in
	job)
		[[ -z $sub ]] && { COMPREPLY=($(compgen -W "show why priority" -- "$cur")); return; }
		full="job $sub"
		;;
	qos)
		[[ -z $sub ]] && { COMPREPLY=($(compgen -W "list set remove" -- "$cur")); return; }
		full="qos $sub"
		;;
	reservation)
		[[ -z $sub ]] && { COMPREPLY=($(compgen -W "create list delete" -- "$cur")); return; }
		full="reservation $sub"
		;;
	topology)
		[[ -z $sub ]] && { COMPREPLY=($(compgen -W "apply" -- "$cur")); return; }
		full="topology $sub"
		;;
	node)
		[[ -z $sub ]] && { COMPREPLY=($(compgen -W "why" -- "$cur")); return; }
		full="node $sub"
		;;
	breaker)
		[[ -z $sub ]] && { COMPREPLY=($(compgen -W "reset" -- "$cur")); return; }
		full="breaker $sub"
		;;
	rack)
		[[ -z $sub ]] && { COMPREPLY=($(compgen -W "readings" -- "$cur")); return; }
		full="rack $sub"
		;;
	help)
		COMPREPLY=($(compgen -W "$_colossus_cmds" -- "$cur"))
		return
		;;
	queue) full=jobs ;;
	show) full="job show" ;;
	why) full="job why" ;;
	esac

	# Values of options.
	case $prev in
	-t | --state)
		COMPREPLY=($(compgen -W "pending held starting running completing completed failed cancelled timeout" -- "${cur##*,}"))
		[[ $cur == *,* ]] && COMPREPLY=("${COMPREPLY[@]/#/${cur%,*},}")
		return
		;;
	-o | --format)
		local pre=""
		[[ $cur == *,* ]] && pre=${cur%,*},
		COMPREPLY=($(compgen -P "$pre" -W "$(_colossus_columns $full)" -- "${cur##*,}"))
		compopt -o nospace 2>/dev/null
		return
		;;
	-S | --sort)
		if [[ $full == jobs ]]; then
			COMPREPLY=($(compgen -W "id priority submit start end user account name qos state nodes gpus time time_limit queue_pos expected_start" -- "${cur#-}"))
			return
		fi
		;;
	--within)
		COMPREPLY=($(compgen -W "rack pod hall any" -- "$cur"))
		return
		;;
	--preempt-mode)
		COMPREPLY=($(compgen -W "requeue cancel" -- "$cur"))
		return
		;;
	-q | --qos)
		COMPREPLY=($(compgen -W "$(_colossus_ask qos list --no-header | awk '{print $1}')" -- "$cur"))
		return
		;;
	--reservation)
		COMPREPLY=($(compgen -W "$(_colossus_ask reservation list --no-header | awk '{print $1}')" -- "$cur"))
		return
		;;
	-w | --node | -x | --exclude | --nodes)
		COMPREPLY=($(compgen -W "$(_colossus_ask nodes --format name --no-header)" -- "$cur"))
		return
		;;
	--after | --afterok | --afternotok)
		COMPREPLY=($(compgen -W "$(_colossus_ask jobs --all --format id --no-header)" -- "$cur"))
		return
		;;
	-s | --signal)
		COMPREPLY=($(compgen -W "TERM KILL INT HUP USR1 USR2 CONT STOP" -- "$cur"))
		return
		;;
	--rack)
		COMPREPLY=($(compgen -W "$(_colossus_racks name)" -- "$cur"))
		return
		;;
	-k | --kind)
		if [[ $full == events ]]; then
			COMPREPLY=($(compgen -W "$_colossus_event_kinds" -- "$cur"))
			return
		fi
		;;
	-j | --job)
		COMPREPLY=($(compgen -W "$(_colossus_ask jobs --all --format id --no-header)" -- "$cur"))
		return
		;;
	--leak)
		COMPREPLY=($(compgen -W "none warning critical" -- "$cur"))
		return
		;;
	esac
	# An option that takes a value we cannot guess: let the user type it.
	if [[ $prev == -* && $prev != -*=* ]] &&
		"${COMP_WORDS[0]}" help $full 2>/dev/null |
		grep -Eq -- "(^|[ ,])$prev [A-Z]"; then
		return
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_colossus_opts $full)" -- "$cur"))
		return
	fi

	# Positional arguments.
	case $full in
	cancel | "job show" | "job why" | "job priority")
		COMPREPLY=($(compgen -W "$(_colossus_ask jobs --format id --no-header)" -- "$cur"))
		;;
	hold)
		COMPREPLY=($(compgen -W "$(_colossus_ask jobs --state pending --format id --no-header)" -- "$cur"))
		;;
	release)
		COMPREPLY=($(compgen -W "$(_colossus_ask jobs --state held --format id --no-header)" -- "$cur"))
		;;
	nodes)
		COMPREPLY=($(compgen -W "$(_colossus_ask nodes --format name --no-header)" -- "$cur"))
		;;
	"qos set" | "qos remove")
		COMPREPLY=($(compgen -W "$(_colossus_ask qos list --no-header | awk '{print $1}')" -- "$cur"))
		;;
	"reservation delete")
		COMPREPLY=($(compgen -W "$(_colossus_ask reservation list --no-header | awk '{print $1}')" -- "$cur"))
		;;
	submit | "topology apply")
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	drain | resume)
		# The level first, then names of that level.
		local level=""
		for ((i = 2; i < cword; i++)); do
			case ${words[i]} in
			node | rack | pod | hall)
				level=${words[i]}
				break
				;;
			esac
		done
		case $level in
		"") COMPREPLY=($(compgen -W "node rack pod hall" -- "$cur")) ;;
		node) COMPREPLY=($(compgen -W "$(_colossus_ask nodes --format name --no-header)" -- "$cur")) ;;
		rack) COMPREPLY=($(compgen -W "$(_colossus_racks name)" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$(_colossus_racks "$level")" -- "$cur")) ;;
		esac
		;;
	health)
		COMPREPLY=($(compgen -W "$(_colossus_ask nodes --format name --no-header) $(_colossus_racks name)" -- "$cur"))
		;;
	"node why")
		COMPREPLY=($(compgen -W "$(_colossus_ask nodes --format name --no-header)" -- "$cur"))
		;;
	"rack readings")
		COMPREPLY=($(compgen -W "$(_colossus_racks name)" -- "$cur"))
		;;
	esac
}

complete -F _colossus colossus
