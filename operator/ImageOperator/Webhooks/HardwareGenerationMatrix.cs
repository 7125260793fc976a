using ImageOperator.Api.V1Alpha1;

namespace ImageOperator.Webhooks;

/// <summary>Whether an image built on one hardware generation runs on another.</summary>
public enum GenerationVerdict
{
    /// <summary>It runs.</summary>
    Compatible,

    /// <summary>It runs but may need a kernel update first (network, NVMe and GPU drivers differ).</summary>
    NeedsKernelUpdate,

    /// <summary>It does not run.</summary>
    Incompatible,
}

/// <summary>
/// SPEC §6, the hardware-generation matrix. An image records the generation it was built on in
/// <c>spec.builtOnHardwareGeneration</c>; when that is unknown no generation rule applies.
/// <list type="bullet">
/// <item>Built on X5, used on X7: no Windows version runs; Oracle Autonomous Linux 7 and Oracle Linux 8 run; the
/// other Linux releases run but may need a kernel update.</item>
/// <item>Built on X6, used on anything but X6: Oracle Linux 6, every CentOS (including Stream) and every Windows
/// do not run; Oracle Autonomous Linux 7, Oracle Linux 7 and 8 and Ubuntu run; releases the matrix does not name
/// may need a kernel update.</item>
/// <item>Any other pair: the seeds state no rule, the image is taken as compatible.</item>
/// </list>
/// </summary>
public static class HardwareGenerationMatrix
{
    /// <summary>Judges running <paramref name="release"/>, built on <paramref name="builtOn"/>, on <paramref name="target"/> hardware.</summary>
    /// <returns>The verdict and the rule that decided it (empty for <see cref="GenerationVerdict.Compatible"/>).</returns>
    public static (GenerationVerdict Verdict, string Rule) Evaluate(HardwareGeneration builtOn, HardwareGeneration target, OperatingSystemRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        var family = release.OperatingSystem;
        var name = $"{OperatingSystemRules.Name(family)} {release.Release}";
        var isOracleLinux8 = family == GuestOperatingSystem.OracleLinux && release.Release == "8";
        var isAutonomous7 = family == GuestOperatingSystem.OracleAutonomousLinux && release.Release == "7";

        if (builtOn == HardwareGeneration.X5 && target == HardwareGeneration.X7)
        {
            if (family == GuestOperatingSystem.Windows)
            {
                return (GenerationVerdict.Incompatible, "no Windows version built on X5 hardware runs on X7 hardware");
            }

            return isOracleLinux8 || isAutonomous7
                ? (GenerationVerdict.Compatible, string.Empty)
                : (GenerationVerdict.NeedsKernelUpdate, $"{name} built on X5 hardware may need a kernel update to run on X7 hardware ({UpdateCommand(family)})");
        }

        if (builtOn == HardwareGeneration.X6 && target != HardwareGeneration.X6)
        {
            var incompatible = family is GuestOperatingSystem.Windows or GuestOperatingSystem.CentOS or GuestOperatingSystem.CentOSStream
                || (family == GuestOperatingSystem.OracleLinux && release.Release == "6");
            if (incompatible)
            {
                return (GenerationVerdict.Incompatible, $"{name} built on X6 hardware does not run on other hardware generations ({target})");
            }

            var listedCompatible = isOracleLinux8 || isAutonomous7 || family == GuestOperatingSystem.Ubuntu
                || (family == GuestOperatingSystem.OracleLinux && release.Release == "7");
            return listedCompatible
                ? (GenerationVerdict.Compatible, string.Empty)
                : (GenerationVerdict.NeedsKernelUpdate, $"{name} built on X6 hardware is not known to run on {target} hardware; test it, it may need a kernel update ({UpdateCommand(family)})");
        }

        return (GenerationVerdict.Compatible, string.Empty);
    }

    private static string UpdateCommand(GuestOperatingSystem family) =>
        family == GuestOperatingSystem.Ubuntu ? "apt-get dist-upgrade" : "yum update";
}
