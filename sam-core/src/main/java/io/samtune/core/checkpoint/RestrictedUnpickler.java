package io.samtune.core.checkpoint;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Unpickles the {@code data.pkl} of a {@code torch.save} zip archive, like
 * {@code torch.load(weights_only=True)}: only an allow-list of globals (ordered dicts, tensor and
 * parameter rebuild functions, storage types) may appear; any other global, and the opcodes that
 * build arbitrary objects, fail with a {@link PickleException}. Nothing from the file is executed:
 * the allowed globals map to plain Java records.
 */
final class RestrictedUnpickler extends Unpickler {

    /** A reference to a tensor's storage: {@code archive/data/<key>}. */
    record StorageRef(String key, TorchDType dtype, long numel) {
    }

    /** A tensor: a view of a storage. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    private static final Set<String> STORAGES = Set.of("FloatStorage", "HalfStorage", "BFloat16Storage",
            "DoubleStorage", "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage");

    /** Placeholder for an allowed storage type global; only its name matters. */
    record StorageType(String name) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("storage type " + name + " cannot be called");
        }
    }

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        switch (key) {
            case Opcodes.GLOBAL -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            case Opcodes.STACK_GLOBAL -> {
                String name = (String) stack.pop();
                String module = (String) stack.pop();
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            case Opcodes.BUILD -> {
                // torch pickles a state dict's _metadata as the OrderedDict's state: not needed here
                Object state = stack.pop();
                Object target = stack.peek();
                if (!(target instanceof Map) && !(target instanceof TensorRef)) {
                    throw new PickleException("cannot set the state of " + describe(target) + " from " + describe(state));
                }
                return NO_RETURN_VALUE;
            }
            case Opcodes.INST, Opcodes.OBJ, Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 ->
                    throw new PickleException("pickle opcode 0x" + Integer.toHexString(key)
                            + " builds arbitrary objects and is not allowed in a weights file");
            default -> {
                return super.dispatch(key);
            }
        }
    }

    private static IObjectConstructor resolve(String module, String name) {
        String qualified = module + "." + name;
        switch (qualified) {
            case "collections.OrderedDict":
                return args -> new LinkedHashMap<Object, Object>();
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                return RestrictedUnpickler::rebuildTensor;
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return args -> args[0];
            default:
                if (module.equals("torch") && STORAGES.contains(name)) {
                    return new StorageType(name);
                }
                throw new PickleException("global '" + qualified + "' is not allowed in a weights file"
                        + " (only tensors, parameters and ordered dicts are, as with torch.load(weights_only=True))");
        }
    }

    private static Object rebuildTensor(Object[] args) {
        if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
            throw new PickleException("malformed tensor record");
        }
        return new TensorRef(storage, toLong(args[1]), toLongs(args[2]), toLongs(args[3]));
    }

    @Override
    protected Object persistentLoad(Object pid) {
        // ('storage', storage_type, key, location, numel)
        if (!(pid instanceof Object[] t) || t.length < 5 || !"storage".equals(t[0])
                || !(t[1] instanceof StorageType type)) {
            throw new PickleException("unsupported persistent id in weights file: " + describe(pid));
        }
        return new StorageRef(String.valueOf(t[2]), TorchDType.fromStorage(type.name()), toLong(t[4]));
    }

    /**
     * A short description of a pickled value for messages: at most two levels deep and 200
     * characters, so a hostile nested value (shared many times over) cannot make a huge message.
     */
    static String describe(Object o) {
        StringBuilder sb = new StringBuilder();
        describe(o, 0, sb);
        return sb.length() <= 200 ? sb.toString() : sb.substring(0, 197) + "...";
    }

    private static void describe(Object o, int depth, StringBuilder sb) {
        if (sb.length() > 200) {
            return;
        }
        if (o instanceof Object[] a) {
            if (depth >= 2) {
                sb.append("(").append(a.length).append(" items)");
                return;
            }
            sb.append('(');
            for (int i = 0; i < Math.min(a.length, 5); i++) {
                sb.append(i == 0 ? "" : ", ");
                describe(a[i], depth + 1, sb);
            }
            sb.append(a.length > 5 ? ", ... " + a.length + " items)" : ")");
        } else if (o instanceof java.util.Collection<?> c) {
            sb.append("[").append(c.size()).append(" items]");
        } else if (o instanceof java.util.Map<?, ?> m) {
            sb.append("{").append(m.size()).append(" entries}");
        } else if (o instanceof String str) {
            sb.append('\'').append(str.length() <= 60 ? str : str.substring(0, 57) + "...").append('\'');
        } else if (o == null || o instanceof Number || o instanceof Boolean) {
            sb.append(o);
        } else {
            sb.append(o.getClass().getSimpleName().isEmpty() ? "object" : "a " + o.getClass().getSimpleName());
        }
    }

    private static long toLong(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        throw new PickleException("expected an integer, found " + describe(o));
    }

    private static long[] toLongs(Object o) {
        if (o instanceof Object[] a) {
            long[] out = new long[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = toLong(a[i]);
            }
            return out;
        }
        if (o instanceof List<?> l) {
            return l.stream().mapToLong(RestrictedUnpickler::toLong).toArray();
        }
        throw new PickleException("expected a tuple of integers, found " + describe(o));
    }

    /** Unwraps {@code {"model": sd}} / {@code {"state_dict": sd}} wrappers. */
    @SuppressWarnings("unchecked")
    static Map<Object, Object> stateDictOf(Object root) {
        if (!(root instanceof Map<?, ?> map)) {
            throw new PickleException("the pickle holds " + (root == null ? "nothing" : root.getClass().getSimpleName())
                    + ", not a state dict");
        }
        for (String wrapper : List.of("model", "state_dict")) {
            if (map.get(wrapper) instanceof Map<?, ?> inner && !(map.values().stream().anyMatch(v -> v instanceof TensorRef))) {
                return (Map<Object, Object>) inner;
            }
        }
        return (Map<Object, Object>) map;
    }
}
