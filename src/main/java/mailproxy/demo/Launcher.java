package mailproxy.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code --demo}: starts {@link Demo}, whose mail stores (GreenMail) are not in
 * mailproxy.jar: a production proxy carries no mail server. The build copies them into
 * {@code demo-lib/} beside the jar (pom.xml, maven-dependency-plugin); this class loads
 * the jar and them with a class loader of their own, so that the demo's classes and
 * GreenMail see each other, and runs the demo there. When GreenMail is already on the
 * class path (tests, an IDE) the demo runs directly. No GreenMail type is named here.
 */
public final class Launcher {
    static final String STORES = "com.icegreen.greenmail.util.GreenMail";

    private Launcher() {}

    /** Runs the demo until Ctrl-C; returns an exit code when it cannot start. */
    public static int run(String[] args, PrintStream err) {
        ClassLoader loader;
        if (present(Launcher.class.getClassLoader())) {
            loader = Launcher.class.getClassLoader();
        } else {
            List<URL> urls;
            try {
                urls = classPath();
            } catch (IOException | URISyntaxException e) {
                err.println("mailproxy: --demo: " + e.getMessage());
                return 2;
            }
            loader = new URLClassLoader("demo", urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
        }
        try {
            Class<?> demo = Class.forName("mailproxy.demo.Demo", true, loader);
            Thread.currentThread().setContextClassLoader(loader);
            return (int) demo.getMethod("main", String[].class, PrintStream.class, PrintStream.class)
                    .invoke(null, args, System.out, err);
        } catch (InvocationTargetException e) {
            err.println("mailproxy: --demo failed: " + e.getCause());
            return 1;
        } catch (ReflectiveOperationException e) {
            err.println("mailproxy: --demo cannot start: " + e);
            return 1;
        }
    }

    private static boolean present(ClassLoader l) {
        try {
            Class.forName(STORES, false, l);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** mailproxy.jar and every jar in demo-lib/ beside it. */
    static List<URL> classPath() throws IOException, URISyntaxException {
        Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path lib = jar.toAbsolutePath().getParent().resolve("demo-lib");
        if (!Files.isDirectory(lib)) {
            throw new IOException("the demo's mail stores are not in " + lib + ": build with "
                    + "mvn -q -DskipTests package, which puts them there, and run target/mailproxy.jar");
        }
        List<URL> urls = new ArrayList<>();
        urls.add(url(jar));
        try (Stream<Path> jars = Files.list(lib)) {
            for (Path p : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) urls.add(url(p));
        }
        return urls;
    }

    private static URL url(Path p) throws MalformedURLException {
        return p.toUri().toURL();
    }
}
