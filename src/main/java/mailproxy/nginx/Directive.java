package mailproxy.nginx;

import java.util.List;

/**
 * One nginx directive: {@code name arg...;} or, when {@code children} is not null, a block
 * {@code name arg... { ... }}. Arguments are unquoted and unescaped; variables such as
 * {@code $remote_addr} are left as text.
 */
record Directive(String name, List<String> args, List<Directive> children, Source where) {

    boolean isBlock() { return children != null; }

    String arg(int i) { return i < args.size() ? args.get(i) : ""; }

    /** The directive as written, for notes: {@code ssl_protocols TLSv1 TLSv1.2}. */
    String text() {
        StringBuilder b = new StringBuilder(name);
        for (String a : args) {
            b.append(' ');
            boolean plain = !a.isEmpty() && a.chars().noneMatch(c -> c <= ' ' || c == '"' || c == '\'' || c == ';'
                    || c == '{' || c == '}' || c == '#' || c == '\\');
            b.append(plain ? a : '"' + a.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
        }
        return isBlock() ? b.append(" { }").toString() : b.toString();
    }
}
