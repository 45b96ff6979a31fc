# migratectl.bash - bash completion for migratectl(8).
#
# Installed as /usr/share/bash-completion/completions/migratectl, where
# bash-completion loads it on demand; or source it from ~/.bashrc.  It uses
# only bash builtins, so it also works without the bash-completion package.
#
# Completes the global options, the commands and their options, service
# names for --service and -n (from /etc/migrated/*.yaml and
# /run/migrated/*.sock), paths for -s, -c and --migrations, folders for
# pull, and versions for up --to, down --to, goto, force and log --version
# (asked from the daemon with `migratectl --json list`).

_migratectl_commands="status plan list up down goto force redo adopt
baseline validate create pull log audit reload wait-ready check version
conninfo metrics help"

# Where -n SERVICE names come from (a variable, so tests can point it away).
_migratectl_confdir=/etc/migrated
_migratectl_rundir=/run/migrated

# Service names: instances with a configuration or a live socket.
_migratectl_services()
{
	local f names=()

	for f in "$_migratectl_confdir"/*.yaml "$_migratectl_rundir"/*.sock; do
		[ -e "$f" ] || continue
		f=${f##*/}
		names+=("${f%.*}")
	done
	printf '%s\n' "${names[@]}" | sort -u
}

# Versions known to the daemon; $1... are the global options to reach it.
# Stays quiet (and quick) when the daemon does not answer.
_migratectl_versions()
{
	local out

	out=$(timeout 2 "${_migratectl_bin:-migratectl}" "$@" --json list \
	    2>/dev/null) || true
	printf '%s\n' "$out" | grep -o '"version": *"[^"]*"' |
	    sed 's/.*"\([^"]*\)"$/\1/' | sort -u
}

_migratectl()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i w cmd="" sub="" opts=""
	local -a conn=()

	_migratectl_bin=${COMP_WORDS[0]}
	COMPREPLY=()

	# Find the command (the first word that is not a global option or its
	# argument) and the options needed to reach the same daemon.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ -n "$cmd" ]; then
			[ "$cmd" = audit ] && [ -z "$sub" ] && sub=$w
			continue
		fi
		case $w in
		-s | --socket | -n | --service | -c | --config)
			# bash splits "--socket=PATH" into three words
			if [ "${COMP_WORDS[i + 1]}" = "=" ]; then
				conn+=("$w=${COMP_WORDS[i + 2]}")
				i=$((i + 2))
			else
				conn+=("$w" "${COMP_WORDS[i + 1]}")
				i=$((i + 1))
			fi
			;;
		--migrations)
			[ "${COMP_WORDS[i + 1]}" = "=" ] && i=$((i + 1))
			i=$((i + 1))
			;;
		-*) ;;
		*) cmd=$w ;;
		esac
	done

	if [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	case $prev in
	-s | --socket | -c | --config)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--migrations)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	-n | --service)
		COMPREPLY=($(compgen -W "$(_migratectl_services)" -- "$cur"))
		return 0
		;;
	--to | --version)
		if [ -n "$cmd" ]; then
			COMPREPLY=($(compgen -W \
			    "$(_migratectl_versions "${conn[@]}")" -- "$cur"))
			return 0
		fi
		;;
	--since | --timeout | --limit)
		return 0	# a time or a number: nothing to offer
		;;
	esac

	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-s --socket --service -n -c --config
			    --json -y --yes --migrations -h --help -V --version" \
			    -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_migratectl_commands" -- "$cur"))
		fi
		return 0
	fi

	case $cmd in
	up)	opts="--to --out-of-order --dry-run" ;;
	down)	opts="--to --all --dry-run --yes" ;;
	goto | force | baseline)
		opts="--yes"
		[ "$cmd" = baseline ] && opts="--yes --dry-run"
		if [[ $cur != -* ]]; then
			COMPREPLY=($(compgen -W \
			    "$(_migratectl_versions "${conn[@]}")" -- "$cur"))
			return 0
		fi
		;;
	redo)	opts="--yes" ;;
	adopt)
		if [ "$prev" = --from ]; then
			COMPREPLY=($(compgen -W "golang-migrate goose dbmate \
			    flyway" -- "$cur"))
			return 0
		fi
		opts="--from --dry-run"
		;;
	pull)
		opts="--force"
		if [[ $cur != -* ]]; then	# DIR: a folder
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -d -- "$cur"))
			return 0
		fi
		;;
	log)	opts="--since --version --limit --json --markdown" ;;
	wait-ready) opts="--timeout" ;;
	validate) opts="--strict --json" ;;
	metrics) opts="-o --output" ;;
	help)
		COMPREPLY=($(compgen -W "$_migratectl_commands" -- "$cur"))
		return 0
		;;
	audit)
		[ -z "$sub" ] && COMPREPLY=($(compgen -W "verify" -- "$cur"))
		return 0
		;;
	*)	return 0 ;;	# status plan list create reload check
	esac
	[[ $cur == -* ]] && COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	return 0
}

complete -F _migratectl migratectl
