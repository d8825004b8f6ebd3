/**
 * {@code --demo}: {@code Launcher} finds {@code demo-lib/} and loads {@code Demo} without
 * naming a GreenMail type, {@code Demo} runs two GreenMail stores behind one pool and a
 * proxy in front. It may import admin, server, route and config (docs/ARCHITECTURE.md,
 * "Packages").
 */
package mailproxy.demo;
