namespace ImageOperator.DiskFormats;

/// <summary>An image was refused by the inspector or found invalid while reading.</summary>
public sealed class DiskImageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DiskImageException(ImageProblem problem, string message, Exception? innerException = null)
        : base(message, innerException) => Problem = problem;

    /// <summary>The typed reason.</summary>
    public ImageProblem Problem { get; }

    /// <summary>
    /// True when the image is refused because reading it could reach outside itself (backing files, external
    /// data, encryption) rather than because it is broken.
    /// </summary>
    public bool IsUnsafe => Problem is ImageProblem.BackingFile or ImageProblem.ExternalData or ImageProblem.Encrypted;
}
