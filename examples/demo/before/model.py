"""A small image classifier, as it was when the checkpoints were saved."""

import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, num_classes: int = 10, hidden: int = 256):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 8 * 8, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = nn.functional.adaptive_avg_pool2d(x, 8)
        return self.head(x)
