"""The command line: each command wires the pure core to the gateway, files and terminal."""
