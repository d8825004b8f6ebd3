package mailproxy;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.util.Optional;

/**
 * Gives back a signal that the process inherited as ignored. `nohup` (and a shell's `&`
 * for SIGINT) starts a program with SIGHUP set to SIG_IGN; the JVM then declines to
 * install a handler for it, silently (sun.misc.Signal.handle returns SIG_IGN), and
 * `kill -HUP` would do nothing. Setting the disposition back to SIG_DFL with libc's
 * signal(2) lets the handler be installed right after; between the two calls a SIGHUP
 * would stop the process, a window of microseconds at startup.
 *
 * The foreign function API (final in Java 22) is called reflectively: the code is compiled
 * for Java 21, where it is a preview. Where it is missing or native access is denied
 * (--illegal-native-access=deny), {@link #restoreDefault} says so and the caller warns.
 */
final class IgnoredSignal {
    private static final long SIG_DFL = 0;

    private IgnoredSignal() {}

    /** @return null when the signal's disposition is SIG_DFL now, else why it could not be reset */
    static String restoreDefault(int signal) {
        try {
            Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
            Class<?> layoutType = Class.forName("java.lang.foreign.MemoryLayout");
            Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
            Class<?> descriptorType = Class.forName("java.lang.foreign.FunctionDescriptor");
            Class<?> segmentType = Class.forName("java.lang.foreign.MemorySegment");
            Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
            Class<?> lookupType = Class.forName("java.lang.foreign.SymbolLookup");
            Object linker = linkerType.getMethod("nativeLinker").invoke(null);
            Object libc = linkerType.getMethod("defaultLookup").invoke(linker);
            Optional<?> symbol = (Optional<?>) lookupType.getMethod("find", String.class).invoke(libc, "signal");
            if (symbol.isEmpty()) return "no signal() in the C library";
            // sighandler_t signal(int signum, sighandler_t handler): a pointer is a long on
            // the 64-bit Linux ABIs the jar ships for
            Object jlong = valueLayout.getField("JAVA_LONG").get(null);
            Object jint = valueLayout.getField("JAVA_INT").get(null);
            Object args = Array.newInstance(layoutType, 2);
            Array.set(args, 0, jint);
            Array.set(args, 1, jlong);
            Object descriptor = descriptorType.getMethod("of", layoutType, args.getClass()).invoke(null, jlong, args);
            MethodHandle signalCall = (MethodHandle) linkerType
                    .getMethod("downcallHandle", segmentType, descriptorType, Array.newInstance(optionType, 0).getClass())
                    .invoke(linker, symbol.get(), descriptor, Array.newInstance(optionType, 0));
            long previous = (long) signalCall.invoke(signal, SIG_DFL);
            return previous == -1 ? "signal() failed" : null;
        } catch (java.lang.reflect.InvocationTargetException e) {
            return String.valueOf(e.getCause());
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) { // MethodHandle.invoke declares Throwable
            return e.toString();
        }
    }
}
