package cli

// EngineProgram runs the commands that talk to the Docker Engine. It is a
// program of its own so that berth does not link net/http, crypto/tls,
// crypto/x509 and the Engine API types: measured, they are about a fifth of
// the start-up time of every berth process (`berth lint` in a pre-commit
// hook, `berth config` in CI), while the commands that need them wait on
// Docker for far longer than one more process start.
const EngineProgram = "berth-engine"

// Summary is how a command is listed: its usage line and one-line help.
type Summary struct{ Name, Use, Short string }

// EngineCommands are berth-engine's commands. berth lists them under its
// own name and hands them on; berth-engine defines them. One table, so the
// two cannot disagree.
func EngineCommands() []Summary {
	return []Summary{
		{"plan", "plan [flags] [SERVICE...]", "Show what apply would change"},
		{"apply", "apply [flags] [PLAN_FILE | SERVICE...]", "Converge Docker to the compose files"},
		{"down", "down [flags]", "Remove the project's containers and networks"},
		{"ps", "ps [flags]", "List the project's containers"},
		{"restart", "restart [flags] [SERVICE...]", "Restart the project's containers"},
		{"build", "build [flags] [SERVICE...]", "Build the services' images"},
		{"pull", "pull [flags] [SERVICE...]", "Pull the services' images"},
		{"rm", "rm [flags] [SERVICE...]", "Remove the project's stopped containers"},
	}
}

// EngineSummary returns the summary of the engine command name.
func EngineSummary(name string) Summary {
	for _, s := range EngineCommands() {
		if s.Name == name {
			return s
		}
	}
	return Summary{Name: name, Use: name}
}
