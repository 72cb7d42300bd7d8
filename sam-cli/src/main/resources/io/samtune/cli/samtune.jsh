// samtune's JShell start-up: the public packages, ready to use.
import java.nio.file.*;
import java.util.*;
import io.samtune.data.*;
import io.samtune.core.*;
import io.samtune.core.image.*;
import io.samtune.core.cache.*;
import io.samtune.core.config.*;
import io.samtune.core.io.*;
import io.samtune.core.checkpoint.*;
import io.samtune.core.model.LoraConfig;
import io.samtune.train.*;
import io.samtune.eval.*;
