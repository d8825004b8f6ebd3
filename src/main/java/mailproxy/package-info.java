/**
 * The program: {@code Main} reads the arguments, loads the config, starts the server (and
 * the admin listener) and stops it on SIGTERM; {@code Reloader} turns SIGHUP into a
 * reload, {@code --import-nginx} and {@code --demo} hand over to their packages. The top
 * of the graph: it may import every package of ours (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy;
